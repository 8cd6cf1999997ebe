"""The Graph calls of the Planner connector, on msgraph-sdk request builders, returning plain dicts.

Reads keep the ETag of every task and task details entity they see, so a write sends ``If-Match`` with
the newest one without another read; each PATCH asks for ``Prefer: return=representation`` to learn the
ETag its own write produced (writes on one task chain without 412s). A 412 re-reads the entity,
re-applies the change to the fresh copy and sends it once more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
from msgraph.generated.models.planner_task import PlannerTask
from msgraph.generated.models.planner_task_details import PlannerTaskDetails

from config.errors import RetriableError, SkippableError
from connectors import planner_writeback as wb
from connectors.base import Write
from connectors.planner_graph import GraphSession, UnreadableBody, etag_of, translate

CATEGORY_KEYS = tuple(f"category{n}" for n in range(1, 26))


class PlannerCalls:
    """Reads and writes against one Graph session."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.graph = session.client
        self.etags: dict[tuple[str, str], str] = {}
        self.descriptions: dict[str, str] = {}
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
        return {str(b.id): str(b.name or "") for b in pages}

    def _pages(self, builder: Callable[[], Any], subject: str) -> list[Any]:
        page = self._call(lambda: builder().get(), subject)
        values = list(page.value or [])
        while page.odata_next_link:
            link = page.odata_next_link
            page = self._call(lambda link=link: builder().with_url(link).get(), subject)  # type: ignore[misc]
            values += page.value or []
        return values

    def category_names(self, plan_id: str) -> dict[str, str | None]:
        """``category1…category25`` → the plan's name for it (None when unnamed)."""
        details = self._call(lambda: self.graph.planner.plans.by_planner_plan_id(plan_id).details.get(),
                             f"plan {plan_id} (details)")
        names = details.category_descriptions
        extra = (names.additional_data if names is not None else None) or {}
        return {key: (getattr(names, key, None) if names is not None else None) or extra.get(key)
                for key in CATEGORY_KEYS}

    def task(self, task_id: str) -> dict[str, Any]:
        """One task (its ETag remembered)."""
        task = _task(self._call(lambda: self.graph.planner.tasks.by_planner_task_id(task_id).get(),
                                f"task {task_id}"))
        self._remember("task", task_id, task["@odata.etag"])
        self.tasks_seen[task_id] = task
        return task

    def details(self, task_id: str) -> dict[str, Any]:
        """A task's details: description, checklist, ETag (remembered)."""
        raw = self._call(lambda: self.graph.planner.tasks.by_planner_task_id(task_id).details.get(),
                         f"task {task_id} (details)")
        checklist = dict((raw.checklist.additional_data or {}) if raw.checklist is not None else {})
        description = wb.normalised(raw.description)
        self._remember("details", task_id, etag_of(raw))
        self.descriptions[task_id] = description
        return {"description": description, "checklist": checklist, "@odata.etag": etag_of(raw)}

    def _remember(self, kind: str, task_id: str, etag: str | None) -> None:
        if etag:
            self.etags[(kind, task_id)] = etag
        else:  # no ETag known: the next write re-reads first
            self.etags.pop((kind, task_id), None)

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
                if getattr(exc, "http_status", None) != 412 or fresh:
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
            return builder.patch(patch, request_configuration=config)  # type: ignore[no-any-return]

        result = self._call(send, subject, empty_ok=True)
        self._remember(kind, task_id, etag_of(result) if result is not None else None)
        if kind == "task":
            if result is not None and result.id:
                self.tasks_seen[task_id] = _task(result)
            else:
                self.tasks_seen.pop(task_id, None)
        elif result is not None and getattr(result, "description", None) is not None:
            self.descriptions[task_id] = wb.normalised(result.description)
        else:
            self.descriptions[task_id] = wb.normalised(patch.description)

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, make: Callable[[], Awaitable[Any]], subject: str, *, empty_ok: bool = False) -> Any:
        result = self.session.call(make, subject=subject)
        if result is None and not empty_ok:
            raise translate(UnreadableBody("an empty answer where JSON was expected"), tracker=self.session.name,
                            subject=subject, secrets=self.session.secrets)
        return result


def _task(task: PlannerTask) -> dict[str, Any]:
    applied = task.applied_categories.additional_data if task.applied_categories is not None else {}
    assignments = task.assignments.additional_data if task.assignments is not None else {}
    return {
        "id": task.id, "planId": task.plan_id, "bucketId": task.bucket_id, "title": task.title,
        "percentComplete": task.percent_complete or 0,
        "appliedCategories": {k: bool(v) for k, v in (applied or {}).items() if not k.startswith("@")},
        "assignments": {k: v for k, v in (assignments or {}).items() if not k.startswith("@")},
        "dueDateTime": task.due_date_time, "completedDateTime": task.completed_date_time,
        "createdDateTime": task.created_date_time, "@odata.etag": etag_of(task),
    }
