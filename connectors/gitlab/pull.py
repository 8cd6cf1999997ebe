"""Incremental pull of GitLab issues from projects and groups, with a de-duplicating watermark.

Each scope (``project okr/work``, ``group okr``) is one list call per 100 issues:
``GET /projects/:id/issues`` or ``GET /groups/:id/issues`` with ``updated_after`` = the scope's watermark
minus ``settings.overlap``, ``order_by=created_at``, ``sort=asc``, ``per_page=100``, following ``Link``.

Why ``created_at``: GitLab pages by offset, and an ordering by ``updated_at`` shifts while people work —
an issue edited during the pull jumps to the end, every issue after it moves up one place, and the one
that crosses into an already-read page is never seen (and, older than the new watermark, never again).
Creation times do not change: an edit moves nothing, an issue entering the ``updated_after`` window
during the pull only pushes others to a later page (read twice, de-duplicated). Keyset pagination would
also be stable, but GitLab added it for project issues only recently (gitlab-org/gitlab!199887) and has
none for group issues, so older instances could not use it.
What can still shift a page is an issue deleted or moved away mid-pull; the daily full reconcile
(``schedule.reconcile``) reads every issue again.

The watermark is JSON, per scope: ``{"v": 1, "scopes": {"project okr/work": {"after": "<GitLab time>",
"seen": {"okr/work#3": "<updated_at>", …}}}}``. ``after`` is the newest ``updated_at`` GitLab reported
(its own clock, never ours); ``seen`` keeps the items inside the overlap window with the ``updated_at``
already delivered, so an idle pull costs exactly one call per scope and returns nothing, while an item
written again (new ``updated_at``) comes back. A scope that fails keeps its old watermark; the others
advance.

Issue-link rules cost one extra call per KR home issue on this tracker (``GET …/issues/:iid/links``,
not paginated); a linked issue whose link was created after the watermark counts as changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from okr_sync.config.errors import AuthError, DeferredError, SyncError
from okr_sync.connectors import watermark
from okr_sync.connectors.base import ItemProblem, PullSpec
from okr_sync.connectors.gitlab.items import IssueTranslator, issue_key, parse_time, split_key
from okr_sync.connectors.gitlab.transport import GitLabTransport
from okr_sync.mapping import WorkItem
from okr_sync.mapping.links import homes_by_key
from okr_sync.mapping.numbers import number_format

LINKS = "issue links"
LINK_INVERSE = {"blocks": "is_blocked_by", "is_blocked_by": "blocks", "relates_to": "relates_to"}


@dataclass
class ScopeMark:
    """The watermark of one scope."""

    after: str | None = None
    seen: dict[str, str] = field(default_factory=dict)


def load_watermark(text: str | None) -> dict[str, ScopeMark]:
    """Scope → mark from a watermark string (an unreadable one starts every scope afresh)."""
    data = watermark.decode(text)
    if data is None:
        return {}
    try:
        return {name: ScopeMark(m.get("after"), dict(m.get("seen") or {})) for name, m in data["scopes"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def dump_watermark(marks: Mapping[str, ScopeMark]) -> str:
    """The opaque watermark string."""
    return watermark.encode({"scopes": {name: {"after": m.after, "seen": m.seen} for name, m in marks.items()}})


def scope_paths(projects: Iterable[str | int], groups: Iterable[str | int]) -> list[tuple[str, str]]:
    """(scope name, API path) of every configured scope."""
    found = [(f"project {p}", f"/projects/{quote(str(p), safe='')}/issues") for p in projects]
    found += [(f"group {g}", f"/groups/{quote(str(g), safe='')}/issues") for g in groups]
    return found


class IssuePuller:
    """Reads the changed issues of every scope and turns them into work items."""

    def __init__(self, transport: GitLabTransport, translator: IssueTranslator, overlap: timedelta,
                 scopes: list[tuple[str, str]], link_types: list[str]) -> None:
        self.transport = transport
        self.translator = translator
        self.overlap = overlap
        self.scopes = scopes
        self.link_types = link_types

    def pull(self, since: str | None, spec: PullSpec, *, full: bool) -> tuple[list[WorkItem], str, bool,
                                                                              list[ItemProblem]]:
        """(items, new watermark, whether every scope was read in full, problems)."""
        old = {} if full else load_watermark(since)
        marks: dict[str, ScopeMark] = {}
        rows: dict[str, dict[str, Any]] = {}
        problems: list[ItemProblem] = []
        errors: list[SyncError] = []
        all_full = True
        for name, path in self.scopes:
            mark = old.get(name, ScopeMark())
            all_full &= mark.after is None
            try:
                fresh, marks[name] = self._pull_scope(name, path, mark, problems)
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except SyncError as exc:
                if isinstance(exc, AuthError) and exc.http_status == 401:
                    raise  # the token itself is refused: no scope can succeed
                errors.append(exc)
            else:
                for row in fresh:
                    rows[issue_key(row)] = row  # a later page holds the newer copy
                continue
            marks[name] = mark
            problems.append(ItemProblem(self.transport.tracker, name, errors[-1].message, errors[-1].disposition))
        if errors and len(errors) == len(self.scopes):
            raise errors[0]
        oldest = None if all_full else _oldest(old, self.scopes)
        links = ScopeMark(seen=dict(old[LINKS].seen)) if LINKS in old else ScopeMark()
        linked = self._linked(spec, rows, oldest - self.overlap if oldest else None, links, problems)
        if self.link_types:
            marks[LINKS] = links
        homes = homes_by_key({kr: home for kr, home in spec.kr_homes.items()
                              if home.tracker == self.transport.tracker})
        items = []
        fmt = number_format(spec.locale)
        for key, row in rows.items():
            unread: list[str] = []
            try:
                items.append(self.translator.work_item(row, links=linked.get(key, ()), known=spec.kr_ids,
                                                       homes=homes, number_fields=spec.number_fields, fmt=fmt,
                                                       unread=unread))
            except (TypeError, ValueError, AttributeError, KeyError) as exc:  # one bad issue never stops a pull
                problems.append(_unreadable(self.transport.tracker, key, exc))
            problems += [ItemProblem(self.transport.tracker, key, f"issue {key}: {text}") for text in unread]
        return items, dump_watermark(marks), all_full and not errors, problems

    def _pull_scope(self, name: str, path: str, mark: ScopeMark,
                    problems: list[ItemProblem]) -> tuple[list[dict[str, Any]], ScopeMark]:
        query: dict[str, Any] = {"state": "all", "order_by": "created_at", "sort": "asc"}  # see module docstring
        after = parse_time(mark.after)
        if after is not None:
            query["updated_after"] = _gitlab_time(after - self.overlap)
        fresh: list[dict[str, Any]] = []
        stamps: dict[str, str] = {}
        for page in self.transport.pages(path, subject=f"issues of {name}", query=query):
            for row in page:
                try:
                    key, stamp = issue_key(row), str(row.get("updated_at") or "")
                    split_key(key)
                except (TypeError, ValueError, AttributeError, KeyError) as exc:
                    problems.append(_unreadable(self.transport.tracker, f"an issue of {name}", exc))
                    continue
                stamps[key] = stamp
                if mark.seen.get(key) != stamp:
                    fresh.append(row)
        times = [t for t in (parse_time(s) for s in stamps.values()) if t is not None]
        newest = max([*times, *([after] if after else [])], default=None)
        window = newest - self.overlap if newest else None
        seen = {k: s for k, s in stamps.items() if window and (parse_time(s) or window) >= window}
        return fresh, ScopeMark(_gitlab_time(newest) if newest else None, seen)

    def _linked(self, spec: PullSpec, rows: dict[str, dict[str, Any]], since: datetime | None,
                links: ScopeMark, problems: list[ItemProblem]) -> dict[str, list[tuple[str, str]]]:
        """Work item key → its issue links to KR home issues, as ``(link type seen from the item, home key)``.

        A link created since the watermark makes its issue a change, once: ``links.seen`` remembers the
        links already delivered inside the overlap window (key ``<item> > <home>``, value its creation).
        """
        linked: dict[str, list[tuple[str, str]]] = {}
        if not self.link_types:
            return linked
        seen: dict[str, str] = {}
        for home in spec.kr_homes.values():
            if home.tracker != self.transport.tracker:
                continue
            try:
                path, iid = split_key(home.key)
                answer = self.transport.json("get", f"/projects/{quote(path, safe='')}/issues/{iid}/links",
                                             subject=f"issue links of {home.key}")
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except (SyncError, ValueError) as exc:
                problems.append(ItemProblem(self.transport.tracker, home.key, str(exc)))
                seen.update({k: v for k, v in links.seen.items() if k.endswith(f" > {home.key}")})
                continue
            for row in answer if isinstance(answer, list) else []:
                item_view = LINK_INVERSE.get(str(row.get("link_type")), str(row.get("link_type")))
                if "any" not in self.link_types and item_view not in self.link_types:
                    continue
                key, stamp = issue_key(row), str(row.get("link_created_at") or "")
                if (item_view, home.key) not in linked.setdefault(key, []):
                    linked[key].append((item_view, home.key))
                created = parse_time(stamp)
                if since is not None and (created is None or created < since):
                    continue
                link_id = f"{key} > {home.key}"
                seen[link_id] = stamp
                if key not in rows and links.seen.get(link_id) != stamp:
                    rows[key] = row
        links.seen = seen
        return linked


def _unreadable(tracker: str, subject: str, exc: Exception) -> ItemProblem:
    return ItemProblem(tracker, subject[:120], f"{subject[:120]} is not what GitLab sends "
                                               f"({type(exc).__name__}: {str(exc)[:120]}); skipped this cycle")


def _oldest(marks: Mapping[str, ScopeMark], scopes: list[tuple[str, str]]) -> Any:
    times = [parse_time(marks[name].after) if name in marks else None for name, _ in scopes]
    return None if any(t is None for t in times) else min(t for t in times if t is not None)


def _gitlab_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
