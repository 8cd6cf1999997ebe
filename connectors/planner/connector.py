"""Microsoft Planner through Microsoft Graph (msgraph-sdk + azure-identity): pull tasks, write KR status.

Pull: for each plan in scope, list its tasks (``@odata.nextLink`` pages) and compare their ETags with
the watermark (:mod:`okr_sync.connectors.planner.items`). An idle plan costs that one list call. Only when some
task changed (or on a full pull) are the plan's buckets and/or category names read — buckets only for
bucket link rules, plan details only for category rules or the blocked category — and task details
only for changed *linked* tasks and only when ``PullSpec.number_fields`` asks for values written in
descriptions (``name: value`` lines). A renamed bucket or category changes no task ETag: the periodic
full pull picks it up.

Write-back (:mod:`okr_sync.connectors.planner.writeback`): ``percentComplete``, a status category and the status
block (and the latest check-in) in the details description. Every PATCH carries ``If-Match``; on 412 the
entity is re-read, the change re-applied to the fresh copy (keeping what a person changed meanwhile)
and sent once more. Checklist, assignments and every other field are never sent.

msgraph is imported only when a connector is constructed (:mod:`okr_sync.connectors.planner.graph`).
"""

from __future__ import annotations

import logging
import time
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from okr_sync.config.errors import AuthError, DeferredError, SkippableError, SyncError
from okr_sync.connectors.base import (
    AckSign,
    DesiredHome,
    HomeState,
    ItemProblem,
    PullResult,
    PullSpec,
    Write,
    WriteResult,
)
from okr_sync.connectors.logs import tracker_log
from okr_sync.connectors.planner import writeback as wb
from okr_sync.connectors.planner.items import (
    Etags,
    LinkMatcher,
    TaskFacts,
    read_watermark,
    work_item,
    write_watermark,
)
from okr_sync.connectors.planner.settings import PlannerTracker
from okr_sync.connectors.planner.webhook import parse_notification
from okr_sync.connectors.typed import numbers_in
from okr_sync.mapping import (
    HomeItem,
    ManualValue,
    WorkItem,
    render_checkin,
    render_status_block,
    rules_in_comment,
    status_marker,
)
from okr_sync.mapping.numbers import NumberFormat, number_format
from okr_sync.mapping.typed import IgnoredValue, TypedValue, choose_manual

if TYPE_CHECKING:
    from okr_sync.connectors.base import WebhookEvent
    from okr_sync.connectors.planner.calls import PlannerCalls
    from okr_sync.connectors.planner.graph import GraphSession

log = logging.getLogger("okr_sync.connectors.planner")


class _RequestLinesToDebug(logging.Filter):
    """httpx logs every request line at INFO; Graph URLs name users (``/users/{id}``), so they go to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith("HTTP Request:"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= logging.getLogger(record.name).getEffectiveLevel()


SDK_LOGGERS = {"azure.core.pipeline.policies.http_logging_policy": logging.WARNING, "azure.identity": logging.ERROR}
"""The Azure SDK dumps every request's headers at INFO and logs each token (``get_token succeeded``, six
times a cycle) and each refusal (``ClientSecretCredential.get_token failed: …``, raw, on stderr even when
nothing configured logging) itself; okr-sync reports a refused secret once, as the tracker's auth error."""


def _quiet_request_lines() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RequestLinesToDebug) for f in httpx_log.filters):
        httpx_log.addFilter(_RequestLinesToDebug())
    for name, level in SDK_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level < level:
            logger.setLevel(level)


class PlannerConnector:
    """Planner plans as a tracker: tasks are work items, a task is a KR's home."""

    kind: ClassVar[str] = "planner"
    page_size: ClassVar[int | None] = None
    """Graph sets page sizes of plan task lists; the connector follows ``@odata.nextLink``."""

    def __init__(self, name: str, settings: PlannerTracker, *, sleep: Callable[[float], None] = time.sleep) -> None:
        with warnings.catch_warnings():  # msgraph only now, never at import; its own notices silenced
            warnings.simplefilter("ignore", DeprecationWarning)
            from okr_sync.connectors.planner.calls import PlannerCalls
            from okr_sync.connectors.planner.graph import GraphSession

        _quiet_request_lines()
        self.name = name
        self.log = tracker_log("planner", name)
        self.settings = settings
        self.links = LinkMatcher(settings.link, tracker=name)
        self.session: GraphSession = GraphSession(
            name, settings, secret=settings.auth.client_secret.get_secret_value(), sleep=sleep)
        self._ops: PlannerCalls = PlannerCalls(self.session)
        weakref.finalize(self, self.session.close)  # a connector dropped without close() still releases

    @property
    def calls(self) -> PlannerCalls:
        """The Graph calls this connector makes (``okr-sync doctor`` and ``setup`` read and patch through them)."""
        return self._ops

    @property
    def requests_made(self) -> int:
        """Graph requests so far, retries included (identity-platform token requests not counted)."""
        return self.session.transport.count

    # -- pull ------------------------------------------------------------------------------------

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        """Tasks whose ETag changed since the watermark (every task when ``full`` or no watermark)."""
        known = {} if full else read_watermark(since)
        etags: Etags = {}
        items: dict[str, WorkItem] = {}
        problems: list[ItemProblem] = []
        every_plan_read = True
        for plan_id in self.settings.scope.plans:
            before = known.get(plan_id)
            try:
                tasks = self._ops.tasks(plan_id)
            except (AuthError, DeferredError):
                raise
            except SyncError as exc:
                problems.append(ItemProblem(self.name, f"plan {plan_id}", exc.message, exc.disposition))
                if before is not None:
                    etags[plan_id] = before
                every_plan_read = False
                continue
            seen = self.session.last_date() or datetime.now(UTC)
            unreadable = [t for t in tasks if not isinstance(t, dict) or not isinstance(t.get("id"), str)]
            if unreadable:
                problems.append(ItemProblem(self.name, f"plan {plan_id}", f"{len(unreadable)} task(s) in the answer "
                                            "have no id or are not objects; skipped"))
                tasks = [t for t in tasks if t not in unreadable]
            etags[plan_id] = {t["id"]: str(t.get("@odata.etag") or "") for t in tasks}
            changed = [t for t in tasks if before is None or before.get(t["id"]) != t.get("@odata.etag")]
            every_plan_read = every_plan_read and before is None
            if changed:
                for item in self._items(plan_id, changed, spec, problems, seen=None if before is None else seen):
                    items[item.key] = item
        return PullResult(items=list(items.values()), watermark=write_watermark(etags),
                          full=every_plan_read, problems=problems, scopes=tuple(self.settings.scope.plans))

    def _items(self, plan_id: str, tasks: list[dict[str, Any]], spec: PullSpec, problems: list[ItemProblem],
               *, seen: datetime | None) -> list[WorkItem]:
        buckets = self._ops.bucket_names(plan_id) if self.links.bucket else {}
        names = self._ops.category_names(plan_id) if (self.links.category or self.settings.blocked_category) \
            else {}
        result = []
        for raw in tasks:
            try:
                facts = _facts(raw, buckets, names)
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                problems.append(ItemProblem(self.name, str(raw.get("id")), f"task skipped: Graph sent a value "
                                            f"okr-sync cannot read ({type(exc).__name__})"))
                continue
            kr_ids = self.links.kr_ids(facts, spec.kr_ids)
            numbers: dict[str, float] = {}
            if kr_ids and spec.number_fields:
                try:
                    numbers, unread = numbers_in(self._ops.details(facts.id)["description"], spec.number_fields,
                                                 number_format(spec.locale))
                    problems += [ItemProblem(self.name, facts.id, f"task '{facts.title}': {text}") for text in unread]
                except (AuthError, DeferredError):
                    raise
                except SyncError as exc:
                    problems.append(ItemProblem(self.name, facts.id, exc.message, exc.disposition))
            stamp = seen or max(filter(None, (facts.completed, _time(raw.get("createdDateTime")))), default=None)
            result.append(work_item(facts, tracker=self.name, kr_ids=kr_ids,
                                    blocked_category=self.settings.blocked_category, numbers=numbers,
                                    seen=stamp, url=self._url(facts.id)))
        return result

    def _url(self, task_id: str) -> str:
        return f"https://tasks.office.com/{self.settings.tenant_id}/Home/Task/{task_id}"

    # -- write-back ------------------------------------------------------------------------------

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        """Each home task's percent, categories, description, ETags and (if asked) manual value."""
        states: dict[HomeItem, HomeState] = {}
        plan_names: dict[str, dict[str, str | None]] = {}
        fmt = number_format(spec.locale)
        for home in homes:
            try:
                task = self._ops.task(home.key)
            except SkippableError:
                states[home] = HomeState(home=home, exists=False)
                continue
            details = self._ops.details(home.key)
            if not isinstance(details.get("description") or "", str) or \
                    not isinstance(task.get("appliedCategories") or {}, dict):
                self.log.warning("planner %s: home task %s has a description or categories okr-sync cannot read; "
                            "nothing is written to it this cycle", self.name, home.key)
                continue
            plan_id = str(task.get("planId"))
            if plan_id not in plan_names:
                plan_names[plan_id] = self._ops.category_names(plan_id)
            kr_id = spec.manual_homes.get(home)
            manual, ignored = self._manual(details, spec.owners_of(kr_id), fmt) if kr_id else (None, ())
            states[home] = HomeState(
                home=home, exists=True, etag=task.get("@odata.etag"), title=task.get("title"), manual=manual,
                acks=_acks(details), ignored=ignored,
                values={"percent": task.get("percentComplete") or 0,
                        "applied": dict(task.get("appliedCategories") or {}), "category_names": plan_names[plan_id],
                        "description": wb.normalised(details.get("description")),
                        "details_etag": details.get("@odata.etag")})
        return states

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        """Only the writes that make each home task show its desired status."""
        writes: list[Write] = []
        write = self.settings.write
        for want in desired:
            state = current.get(want.home)
            if state is None or not state.exists:
                continue
            values = state.values
            if write.percent_complete:
                percent = wb.desired_percent(want.status.progress, write.percent_rounding)
                if percent != values["percent"]:
                    writes.append(Write(want.home, wb.PERCENT, str(values["percent"]), str(percent),
                                        {"percentComplete": percent}))
            if write.status_category:
                writes += self._category_write(want, values)
            if write.details_block:
                writes += self._text_writes(want, values["description"])
        return writes

    def _category_write(self, want: DesiredHome, values: Mapping[str, Any]) -> list[Write]:
        names, applied = values["category_names"], values["applied"]
        configured = self.settings.write.status_categories
        wanted = configured.get(want.status.status.value, want.status.status.value)
        shown = ", ".join(sorted(str(names.get(k) or k) for k, on in applied.items() if on)) or None
        try:
            patch = wb.category_patch(applied, names, wanted, list(configured.values()))
        except KeyError:
            return [Write(want.home, wb.CATEGORY, shown, wanted, {"missing_category": wanted})]
        payload = {"appliedCategories": patch, "wanted": wanted, "names": dict(names),
                   "status_names": list(configured.values())}
        return [Write(want.home, wb.CATEGORY, shown, wanted, payload)] if patch else []

    def _text_writes(self, want: DesiredHome, description: str) -> list[Write]:
        writes = []
        marker = status_marker(want.subject_id)
        block = render_status_block(want.status, "text")
        old = wb.current_block(description, marker)
        if old != block.rstrip("\n"):
            writes.append(Write(want.home, wb.BLOCK, old, block, {"marker": marker, "block": block}))
        if want.checkin is not None:
            prefix = wb.checkin_prefix(want.checkin.kr_id)
            text = render_checkin(want.checkin, "text", owner=want.owner_mention)
            old = wb.current_block(description, prefix, prefix=True)
            if old != text.rstrip("\n"):
                writes.append(Write(want.home, f"{wb.CHECKIN} {want.checkin.week}", old, text,
                                    {"marker": prefix, "block": text, "prefix": True}))
        return writes

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Perform writes one by one (ETag-chained); a failed one is reported and the rest go on."""
        results = []
        for write in writes:
            try:
                self._ops.apply(write)
                results.append(WriteResult(write, ok=True))
            except DeferredError:
                raise  # the tracker asked for a pause: no further request this cycle
            except SyncError as exc:
                self.log.warning("planner write failed on task %s (%s): %s", write.home.key, write.target, exc)
                results.append(WriteResult(write, ok=False, error=exc))
        return results

    def _manual(self, details: Mapping[str, Any], owners: Sequence[str],
                fmt: NumberFormat) -> tuple[ManualValue | None, tuple[IgnoredValue, ...]]:
        """The newest ``okr-value: N`` checklist item an owner wrote, and the newer ones that do not count."""
        return choose_manual(_typed_values(details), owners=list(owners), fmt=fmt,
                             is_owner=lambda value, who: who.casefold() in self._ops.user_names(value.author))

    # -- people ------------------------------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        """Every user of the tenant as ``{"identity", "name", "email"}`` (``okr-sync people import``).

        ``GET /users?$select=id,displayName,mail,userPrincipalName&$top=999`` following
        ``@odata.nextLink`` (needs User.Read.All). The identity is the user id; the e-mail is ``mail``,
        else the UPN when it has the form of an address.
        """
        base = self.settings.graph_url.rstrip("/")
        url = f"{base}/users?$select=id,displayName,mail,userPrincipalName&$top=999"
        users = self._ops._pages(lambda: self._ops.graph.users.with_url(url), "user list (/users)")
        return [{"identity": str(u["id"]), "name": u.get("displayName"),
                 "email": u.get("mail") or (u.get("userPrincipalName") if "@" in str(u.get("userPrincipalName"))
                                            else None)}
                for u in users if isinstance(u, dict) and u.get("id")]

    # -- the rest ----------------------------------------------------------------------------------

    def mention(self, identity: str | None, name: str) -> str:
        """Planner has no mentions: the owner's name is written."""
        return name

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, max_bytes: int) -> WebhookEvent:
        """A Graph change notification (or a relay posting one) naming changed tasks."""
        secret = self.settings.webhook_client_state
        return parse_notification(headers, body, max_bytes=max_bytes, tracker=self.name,
                                  client_state=secret.get_secret_value() if secret else None)

    def close(self) -> None:
        """Close connections, the credential and the event loop."""
        self.session.close()


def _facts(raw: Mapping[str, Any], buckets: Mapping[str, str], names: Mapping[str, str | None]) -> TaskFacts:
    applied = tuple(sorted(k for k, on in (raw.get("appliedCategories") or {}).items() if on))
    return TaskFacts(
        id=str(raw["id"]), plan_id=str(raw.get("planId")), title=str(raw.get("title") or ""),
        percent=int(raw.get("percentComplete") or 0), bucket=buckets.get(str(raw.get("bucketId"))),
        categories=tuple(str(names[k]) for k in applied if names.get(k)), category_keys=applied,
        due=_time(raw.get("dueDateTime")), completed=_time(raw.get("completedDateTime")),
        assignees=tuple(sorted(raw.get("assignments") or {})), etag=raw.get("@odata.etag"))


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _acks(details: Mapping[str, Any]) -> tuple[AckSign, ...]:
    """Checked checklist items titled ``okr-ack: <rule>`` (Planner tasks have no labels or comments)."""
    signs = []
    for item_id, item in sorted((details.get("checklist") or {}).items()):
        at = _time(item.get("lastModifiedDateTime"))
        if not item.get("isChecked") or at is None:
            continue
        for rule in rules_in_comment(str(item.get("title") or "")):
            signs.append(AckSign(rule=rule, by=_editor(item), at=at, source=f"checklist:{item_id}"))
    return tuple(signs)


def _editor(item: Mapping[str, Any]) -> str:
    """Who last changed a checklist item: the user's id, else the application's, else ``unknown``."""
    who = item.get("lastModifiedBy") or {}
    return str((who.get("user") or {}).get("id") or (who.get("application") or {}).get("id") or "unknown")


def _typed_values(details: Mapping[str, Any]) -> list[TypedValue]:
    """Every ``okr-value: N`` checklist item, with who last changed it (user, else app id) and when."""
    found = []
    for item in (details.get("checklist") or {}).values():
        key, sep, value = str(item.get("title") or "").partition(":")
        at = _time(item.get("lastModifiedDateTime"))
        if sep and key.strip().casefold() == "okr-value" and at is not None:
            who = item.get("lastModifiedBy") or {}
            name = (who.get("user") or {}).get("displayName")
            found.append(TypedValue(value.strip(), _editor(item), str(name or _editor(item)), at))
    return found
