"""The Graph calls of the Planner connector, on msgraph-sdk request builders, returning plain dicts.

Requests are built by the SDK's request builders and sent through its request adapter (auth, middleware,
retry handler, ``ODataError`` for error answers), but answers are read as JSON rather than deserialised
into msgraph models: msgraph's ``Entity.get_field_deserializers`` re-runs ~1,200 imports for every entity,
about 45 ms per task (measured: 600 tasks, 14 s per pull), which would make an idle cycle of a 9,000-task
plan cost minutes of CPU. Bodies of writes are still msgraph models.

Reads keep the ETag of every task and task details entity they see, so a write sends ``If-Match`` with
the newest one without another read; each PATCH asks for ``Prefer: return=representation`` to learn the
ETag its own write produced (writes on one task chain without 412s). A 412 re-reads the entity,
re-applies the change to the fresh copy and sends it once more.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
from msgraph.generated.models.planner_task import PlannerTask
from msgraph.generated.models.planner_task_details import PlannerTaskDetails

from okr_sync.config.errors import RetriableError, SkippableError
from okr_sync.connectors.base import Write
from okr_sync.connectors.planner import writeback as wb
from okr_sync.connectors.planner.graph import GraphSession, UnreadableBody, translate
from okr_sync.connectors.urls import rebase, split_api_root

CATEGORY_KEYS = tuple(f"category{n}" for n in range(1, 26))
ERRORS: dict[str, Any] = {"XXX": ODataError}
"""Every error answer becomes an ``ODataError``, as the SDK's own builders map them."""


class PlannerCalls:
    """Reads and writes against one Graph session."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.graph = session.client
        self.etags: dict[tuple[str, str], str] = {}
        self.descriptions: dict[str, str] = {}
        self.users: dict[str, tuple[str, ...]] = {}
        self.tasks_seen: dict[str, dict[str, Any]] = {}
        """Latest known state of each task read or written (PATCH answers carry it)."""

    # -- reads ---------------------------------------------------------------------------------

    def tasks(self, plan_id: str) -> list[dict[str, Any]]:
        """Every task of a plan, following ``@odata.nextLink``."""
        pages = self._pages(lambda: self.graph.planner.plans.by_planner_plan_id(plan_id).tasks,
                            f"plan {plan_id} (tasks)")
        return [_task(t) for t in pages]

    def bucket_names(self, plan_id: str) -> dict[str, str]:
        """Bucket id → name for a plan."""
        pages = self._pages(lambda: self.graph.planner.plans.by_planner_plan_id(plan_id).buckets,
                            f"plan {plan_id} (buckets)")
        return {str(b.get("id")): str(b.get("name") or "") for b in pages}

    def _pages(self, builder: Callable[[], Any], subject: str) -> list[dict[str, Any]]:
        """Every page of a collection: Planner sizes its pages itself (``$top`` is not honoured on plan
        tasks or buckets), so ``@odata.nextLink`` is followed until it is absent — re-based onto the
        configured ``graph_url``, since Graph builds it from its own front-door address."""
        page = self._get(lambda: builder(), subject)
        values = _collection(page, subject)
        base, root = split_api_root(self.session.settings.graph_url)
        while page.get("@odata.nextLink"):
            link = rebase(str(page["@odata.nextLink"]), base, root, tracker=self.session.name,
                          what=f"the next-page link of {subject}")
            page = self._get(lambda link=link: builder().with_url(link), subject)  # type: ignore[misc]
            values += _collection(page, subject)
        return values

    def category_names(self, plan_id: str) -> dict[str, str | None]:
        """``category1…category25`` → the plan's name for it (None when unnamed)."""
        details = self._get(lambda: self.graph.planner.plans.by_planner_plan_id(plan_id).details,
                            f"plan {plan_id} (details)")
        names = details.get("categoryDescriptions") or {}
        return {key: names.get(key) or None for key in CATEGORY_KEYS}

    def task(self, task_id: str) -> dict[str, Any]:
        """One task (its ETag remembered)."""
        task = _task(self._get(lambda: self.graph.planner.tasks.by_planner_task_id(task_id), f"task {task_id}"))
        self._remember("task", task_id, task["@odata.etag"])
        self.tasks_seen[task_id] = task
        return task

    def details(self, task_id: str) -> dict[str, Any]:
        """A task's details: description, checklist, ETag (remembered)."""
        raw = self._get(lambda: self.graph.planner.tasks.by_planner_task_id(task_id).details,
                        f"task {task_id} (details)")
        text = raw.get("description")
        # a description that is not text is kept as is: read_homes then leaves the task alone this cycle
        description = wb.normalised(text) if isinstance(text, str | None) else text
        given = raw.get("checklist")
        items: dict[str, Any] = given if isinstance(given, dict) else {}
        checklist = {k: v for k, v in items.items() if isinstance(v, dict)}
        self._remember("details", task_id, raw.get("@odata.etag"))
        self.descriptions[task_id] = description
        return {"description": description, "checklist": checklist, "@odata.etag": raw.get("@odata.etag")}

    def _remember(self, kind: str, task_id: str, etag: str | None) -> None:
        if etag:
            self.etags[(kind, task_id)] = etag
        else:  # no ETag known: the next write re-reads first
            self.etags.pop((kind, task_id), None)

    def user_names(self, user_id: str) -> tuple[str, ...]:
        """Names a configured owner may use for a user: id, userPrincipalName, mail (and their local
        parts), display name — casefolded; just the id when the user cannot be read."""
        if user_id not in self.users:
            try:
                user = self._get(lambda: self.graph.users.by_user_id(user_id), f"user {user_id}")
            except SkippableError:
                user = {}
            names = [user_id]
            for address in (user.get("userPrincipalName"), user.get("mail")):
                names += [str(address), str(address).partition("@")[0]] if address else []
            names.append(str(user.get("displayName") or ""))
            self.users[user_id] = tuple(dict.fromkeys(n.casefold() for n in names if n))
        return self.users[user_id]

    # -- writes --------------------------------------------------------------------------------

    def apply(self, write: Write) -> None:
        """Perform one planned write with If-Match; on 412 re-read, re-apply, retry once."""
        task_id, payload = write.home.key, write.payload
        if "missing_category" in payload:
            raise SkippableError(
                f"task {task_id}: its plan has no category named {payload['missing_category']!r}; name one of "
                "the plan's labels so in Planner, or change write.status_categories", tracker=self.session.name)
        if write.target in (wb.PERCENT, wb.CATEGORY):
            self._with_fresh_retry("task", task_id, lambda: self._task_body(write))
        else:
            self._with_fresh_retry("details", task_id, lambda: self._details_body(write))

    def _task_body(self, write: Write) -> PlannerTask | None:
        """The PATCH for a task write, computed against the latest known state (None: nothing to do)."""
        latest = self.tasks_seen.get(write.home.key)
        if write.target == wb.PERCENT:
            percent = int(write.payload["percentComplete"])
            if latest is not None and latest.get("percentComplete") == percent:
                return None
            return PlannerTask(percent_complete=percent)
        patch = dict(write.payload["appliedCategories"])
        if latest is not None:  # re-apply onto what the task shows now (a person may have set another status)
            patch = wb.category_patch(latest.get("appliedCategories") or {}, write.payload["names"],
                                      write.payload["wanted"], write.payload["status_names"]) or {}
            if not patch:
                return None
        return PlannerTask(applied_categories=PlannerAppliedCategories(additional_data=patch))

    def _details_body(self, write: Write) -> PlannerTaskDetails | None:
        task_id = write.home.key
        if task_id not in self.descriptions:
            self.details(task_id)
        current = self.descriptions[task_id]
        wanted = wb.with_block(current, write.payload["marker"], write.payload["block"],
                               prefix=bool(write.payload.get("prefix")))
        if wanted == current:
            return None
        return PlannerTaskDetails(description=wanted)

    def _with_fresh_retry(self, kind: str, task_id: str, body: Callable[[], Any]) -> None:
        subject = f"task {task_id}" + (" (details)" if kind == "details" else "")
        for fresh in (False, True):
            if fresh or (kind, task_id) not in self.etags:
                self._reread(kind, task_id)
            patch = body()
            if patch is None:
                return
            try:
                self._patch(kind, task_id, patch, subject)
                return
            except RetriableError as exc:
                if exc.http_status != 412 or fresh:
                    raise
                self.etags.pop((kind, task_id), None)

    def _reread(self, kind: str, task_id: str) -> None:
        if kind == "task":
            self.task(task_id)
        else:
            self.details(task_id)

    def _patch(self, kind: str, task_id: str, patch: Any, subject: str) -> None:
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("If-Match", self.etags[(kind, task_id)])
        config.headers.add("Prefer", "return=representation")

        def send() -> Awaitable[Any]:
            item = self.graph.planner.tasks.by_planner_task_id(task_id)
            builder: Any = item if kind == "task" else item.details
            return self._send(builder.to_patch_request_information(patch, config))

        result = self._call(send, subject, empty_ok=True)
        self._remember(kind, task_id, result.get("@odata.etag") if result else None)
        if kind == "task":
            if result and result.get("id"):
                self.tasks_seen[task_id] = _task(result)
            else:
                self.tasks_seen.pop(task_id, None)
        elif result and result.get("description") is not None:
            self.descriptions[task_id] = wb.normalised(result["description"])
        else:
            self.descriptions[task_id] = wb.normalised(patch.description)

    # -- for okr-sync doctor / setup (connectors/planner/admin.py) --------------------------------

    def read(self, builder: Callable[[], Any], subject: str) -> dict[str, Any]:
        """GET what ``builder()`` addresses, counted, retried and classified like every other call."""
        return self._get(builder, subject)

    def send(self, request: Callable[[], Any], subject: str) -> Any:
        """Send the request information ``request()`` builds (a set-up PATCH); an empty answer is fine."""
        return self._call(lambda: self._send(request()), subject, empty_ok=True)

    # -- plumbing ------------------------------------------------------------------------------

    def _get(self, builder: Callable[[], Any], subject: str) -> dict[str, Any]:
        """GET what ``builder()`` addresses (built inside the call, where msgraph's notices are silenced)."""
        return self._call(lambda: self._send(builder().to_get_request_information()), subject)  # type: ignore[no-any-return]

    async def _send(self, info: Any) -> dict[str, Any] | None:
        raw = await self.session.adapter.send_primitive_async(info, "bytes", ERRORS)
        if not raw:
            return None
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise UnreadableBody(f"a JSON {type(data).__name__} where an object was expected")
        return data

    def _call(self, make: Callable[[], Awaitable[Any]], subject: str, *, empty_ok: bool = False) -> Any:
        result = self.session.call(make, subject=subject)
        if result is None and not empty_ok:
            raise translate(UnreadableBody("an empty answer where JSON was expected"), tracker=self.session.name,
                            subject=subject, secrets=self.session.secrets)
        return result


def _task(raw: dict[str, Any]) -> dict[str, Any]:
    """The task fields okr-sync reads, from Graph's JSON."""
    applied = raw.get("appliedCategories") or {}
    assignments = raw.get("assignments") or {}
    return {
        "id": raw.get("id"), "planId": raw.get("planId"), "bucketId": raw.get("bucketId"), "title": raw.get("title"),
        "percentComplete": raw.get("percentComplete") or 0,
        # values of the wrong shape are kept as they came: reading the task then fails, and it is skipped
        "appliedCategories": {k: bool(v) for k, v in applied.items() if not k.startswith("@")}
        if isinstance(applied, dict) else applied,
        "assignments": {k: v for k, v in assignments.items() if not k.startswith("@")}
        if isinstance(assignments, dict) else assignments,
        "dueDateTime": raw.get("dueDateTime"), "completedDateTime": raw.get("completedDateTime"),
        "createdDateTime": raw.get("createdDateTime"), "@odata.etag": raw.get("@odata.etag"),
    }


def _collection(page: Any, subject: str) -> list[Any]:
    """The ``value`` list of a Graph collection page; an unreadable page is a retriable bad answer."""
    values = page.get("value") if isinstance(page, dict) else None
    if values is None:
        return []
    if not isinstance(values, list):
        from okr_sync.connectors.responses import BAD_BODY, classify

        raise classify(BAD_BODY, tracker="planner", subject=subject, detail="'value' is not a list")
    return values
