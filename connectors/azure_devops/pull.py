"""Incremental pull of Azure DevOps work items: WIQL for the ids, ``workitemsbatch`` for the fields.

A pull is one ``POST {project}/_apis/wit/wiql?timePrecision=true`` for the ids changed since the watermark
(``[System.ChangedDate] >= after - overlap``, the scope's project, area paths, types and WIQL condition),
then ``POST _apis/wit/workitemsbatch`` per 200 ids asking only for the fields okr-sync reads, plus one
``GET …/workitemtypes/{type}/states`` per work item type the first time it is met (state → category).

Why ``timePrecision=true``: without it WIQL compares dates by *day*, and every pull would read the whole
day again. With it, the overlap still covers clock skew between writes and the index; items read inside the
overlap window are remembered with the ``rev`` delivered (``seen``), so an idle pull returns nothing, while
an item changed again (new ``rev``) comes back.

WIQL answers at most 20,000 ids; above that the service refuses the query with 400 ``VS402337``. The pull
then narrows by ``ChangedDate``: it splits the window in two and queries each half, recursively, down to one
minute; a single minute with more than 20,000 changes is reported and the scope keeps its old watermark.

The watermark is JSON: ``{"v": 1, "after": "<newest ChangedDate seen>", "seen": {"<id>": [<rev>, "<ChangedDate>"],
…}}`` — the service's own times, never okr-sync's clock. The query leaves out each ``seen`` revision
(``NOT ([System.Id] = 7 AND [System.Rev] = 3)``), so an idle pull is one WIQL call answering no id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from okr_sync.config.errors import SkippableError, SyncError
from okr_sync.connectors.azure_devops.items import WorkItemTranslator, as_dict, parse_time
from okr_sync.connectors.azure_devops.settings import AzureDevOpsScope
from okr_sync.connectors.azure_devops.transport import TOO_MANY, AdoTransport
from okr_sync.connectors.base import ItemProblem, PullSpec
from okr_sync.mapping import WorkItem
from okr_sync.mapping.links import homes_by_key
from okr_sync.mapping.numbers import number_format

BATCH = 200
"""``workitemsbatch`` takes at most 200 ids."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
EXCLUDED = 200
"""Revisions left out of the query at most (WIQL text is limited to 32,000 characters); more are read and
dropped by rev instead."""


Seen = dict[str, tuple[int, datetime]]
"""Work item id → (rev, ChangedDate) delivered inside the overlap window."""


def load_watermark(text: str | None) -> tuple[datetime | None, Seen]:
    """(after, seen) from a watermark (an unreadable one starts afresh)."""
    if not text:
        return None, {}
    try:
        data = json.loads(text)
        seen: Seen = {}
        for key, (rev, stamp) in (data.get("seen") or {}).items():
            when = parse_time(stamp)
            if when is not None:
                seen[str(key)] = (int(rev), when)
        return parse_time(data.get("after")), seen
    except (ValueError, TypeError, AttributeError):
        return None, {}


def dump_watermark(after: datetime | None, seen: Seen) -> str:
    """The opaque watermark string."""
    rows = {key: [rev, _iso(stamp)] for key, (rev, stamp) in sorted(seen.items())}
    return json.dumps({"v": 1, "after": _iso(after) if after else None, "seen": rows}, separators=(",", ":"))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def wiql_text(scope: AzureDevOpsScope, low: datetime | None, high: datetime | None,
              seen: Seen | None = None) -> str:
    """The WIQL query for the scope and a ``ChangedDate`` window ``[low, high)``, leaving out the revisions
    already delivered (``seen``, at most :data:`EXCLUDED`) so an idle pull answers no id at all."""
    clauses = ["[System.TeamProject] = @project"]
    if scope.area_paths:
        clauses.append("(" + " OR ".join(f"[System.AreaPath] UNDER {_quote(p)}" for p in scope.area_paths) + ")")
    if scope.work_item_types:
        clauses.append("[System.WorkItemType] IN (" + ", ".join(_quote(t) for t in scope.work_item_types) + ")")
    if scope.wiql:
        clauses.append(f"({scope.wiql})")
    if low is not None:
        clauses.append(f"[System.ChangedDate] >= {_quote(_wiql_time(low))}")
    if high is not None:
        clauses.append(f"[System.ChangedDate] < {_quote(_wiql_time(high))}")
    for key, (rev, _) in sorted((seen or {}).items())[:EXCLUDED]:
        clauses.append(f"NOT ([System.Id] = {int(key)} AND [System.Rev] = {int(rev)})")
    where = " AND ".join(clauses)  # values quoted by _quote; the scope condition is the admin's own WIQL
    return f"SELECT [System.Id] FROM workitems WHERE {where} ORDER BY [System.ChangedDate] ASC"  # noqa: S608


class WorkItemPuller:
    """Reads the changed work items of the scope and turns them into work items."""

    def __init__(self, transport: AdoTransport, translator: WorkItemTranslator, scope: AzureDevOpsScope,
                 overlap: timedelta) -> None:
        self.transport = transport
        self.translator = translator
        self.scope = scope
        self.overlap = overlap
        self.categories: dict[str, dict[str, str]] = {}
        self._seen: Seen = {}
        """Work item type → state name (folded) → category, read once per type."""

    @property
    def scope_name(self) -> str:
        """``project Portal`` (with area paths when narrowed)."""
        areas = f" areas {', '.join(self.scope.area_paths)}" if self.scope.area_paths else ""
        return f"project {self.scope.project}{areas}"

    def pull(self, since: str | None, spec: PullSpec, *, full: bool) -> tuple[list[WorkItem], str, bool,
                                                                              list[ItemProblem]]:
        """(items, new watermark, whether every item in scope was read, problems)."""
        after, seen = (None, {}) if full else load_watermark(since)
        low = after - self.overlap if after else None
        self._seen = seen if low is not None else {}
        ids = self.changed_ids(low)
        rows = self.read(ids, self.translator.fields_needed(spec.number_fields))
        problems: list[ItemProblem] = []
        fresh, delivered = [], dict(seen)
        for row in rows:
            key, rev = str(row.get("id")), row.get("rev")
            stamp = parse_time(as_dict(row.get("fields")).get("System.ChangedDate"))
            if isinstance(rev, int) and stamp is not None:
                if delivered.get(key, (None, None))[0] == rev:
                    continue  # read again inside the overlap, unchanged: delivered already
                delivered[key] = (rev, stamp)
            fresh.append(row)
        newest = max([mark[1] for mark in delivered.values()] + ([after] if after else []), default=None)
        window = newest - self.overlap if newest else None
        kept = {key: mark for key, mark in delivered.items() if window and mark[1] >= window}
        items = self._translate(fresh, spec, problems)
        return items, dump_watermark(newest, kept), low is None, problems

    def changed_ids(self, low: datetime | None, high: datetime | None = None) -> list[int]:
        """Ids changed in ``[low, high)``, narrowing the window while WIQL says there are too many."""
        try:
            return self._wiql(low, high)
        except SkippableError as exc:
            if TOO_MANY not in exc.message:
                raise
        start, end = low or EARLIEST, high or _later_than_now()
        if end - start <= MINUTE:
            when = f"{start:%Y-%m-%d %H:%M} and {end:%H:%M} UTC"
            raise SkippableError(f"more than 20,000 work items of {self.scope_name} changed between {when}; WIQL "
                                 "cannot list them: narrow scope.area_paths or scope.wiql",
                                 tracker=self.transport.tracker)
        middle = start + (end - start) / 2
        middle = middle.replace(second=0, microsecond=0) if middle - start > MINUTE else middle
        self.transport.log.info("azure_devops %s: WIQL over 20,000 ids; narrowing %s .. %s at %s",
                                self.transport.tracker, start, end, middle)
        return [*self.changed_ids(start, middle), *self.changed_ids(middle, high)]

    def _wiql(self, low: datetime | None, high: datetime | None) -> list[int]:
        body = self.transport.json("post", f"{quote(self.scope.project)}/_apis/wit/wiql",
                                   subject=f"the WIQL query of {self.scope_name}", query={"timePrecision": "true"},
                                   body={"query": wiql_text(self.scope, low, high, self._seen)})
        rows = body.get("workItems") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise SyncError(f"the WIQL answer for {self.scope_name} has no workItems list",
                            tracker=self.transport.tracker)
        return list(dict.fromkeys(row["id"] for row in rows
                                  if isinstance(row, dict) and isinstance(row.get("id"), int)))

    def read(self, ids: list[int], fields: list[str]) -> list[dict[str, Any]]:
        """The work items ``ids`` with only ``fields``, 200 per request; deleted ones are left out."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            body = self.transport.json("post", "_apis/wit/workitemsbatch",
                                       subject=f"work items {chunk[0]}..{chunk[-1]} of {self.scope_name}",
                                       body={"ids": chunk, "fields": fields, "errorPolicy": "omit"})
            value = body.get("value") if isinstance(body, dict) else None
            if not isinstance(value, list):
                raise SyncError(f"the batch answer for work items of {self.scope_name} has no value list",
                                tracker=self.transport.tracker)
            rows += [row for row in value if isinstance(row, dict)]
        return rows

    def category(self, kind: str, state: str) -> str | None:
        """The category of ``state`` in type ``kind`` (one request per type, remembered)."""
        if kind not in self.categories:
            body = self.transport.json("get", f"{quote(self.scope.project)}/_apis/wit/workitemtypes/"
                                              f"{quote(kind)}/states", subject=f"the states of work item type {kind}")
            value = body.get("value") if isinstance(body, dict) else None
            self.categories[kind] = {str(row.get("name")).casefold(): str(row.get("category"))
                                     for row in value or [] if isinstance(row, dict)}
        return self.categories[kind].get(state.casefold())

    def _translate(self, rows: list[dict[str, Any]], spec: PullSpec, problems: list[ItemProblem]) -> list[WorkItem]:
        tracker = self.transport.tracker
        homes = homes_by_key({kr: home for kr, home in spec.kr_homes.items() if home.tracker == tracker})
        fmt = number_format(spec.locale)
        items = []
        for row in rows:
            key = str(row.get("id"))[:40]
            unread: list[str] = []
            try:
                fields = row["fields"]
                category = self.category(str(fields.get("System.WorkItemType")), str(fields.get("System.State")))
                items.append(self.translator.work_item(row, category, known=spec.kr_ids, homes=homes,
                                                       number_fields=spec.number_fields, fmt=fmt, unread=unread))
            except (TypeError, ValueError, AttributeError, KeyError) as exc:  # one bad item never stops a pull
                why = f"{type(exc).__name__}: {str(exc)[:120]}"
                problems.append(ItemProblem(tracker, key, f"work item {key} is not what Azure DevOps sends ({why}); "
                                                          "skipped this cycle"))
            problems += [ItemProblem(tracker, key, f"work item {key}: {text}") for text in unread]
        return items


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _wiql_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _later_than_now() -> datetime:
    """An upper bound for narrowing only (no item can have changed after it); never a watermark."""
    return datetime.now(UTC) + timedelta(days=1)
