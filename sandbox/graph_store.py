"""State of the Graph (Planner) emulator: entities with ETags, and the fixture loader.

Every Planner entity (plan, plan details, bucket, task, task details) is stored as the JSON properties
Graph returns plus an ETag of the form ``W/"…"`` that changes on every write. Users and groups carry no
ETag. Ids are 28-character strings like Planner's, derived from a counter so a fixture loads the same
ids every time.

Fixture format (the ``planner`` section; ``None`` — the ``empty`` fixture — is one plan titled ``OKR``
with id :data:`EMPTY_PLAN_ID`, no buckets, no tasks, no users)::

    page_size: 100                 # tasks per page, whatever ``$top`` says (as Planner)
    external_url: "https://graph.internal.example/v1.0"   # optional: builds @odata.nextLink from it
    users: [{id: "…", displayName: Ana Ruiz, userPrincipalName: ana@agency.example, mail: "…"}]
    groups: [{id: "…", displayName: Audit court}]          # default: one group for the plans
    plans:
      - id: "…"                    # optional
        title: OKR
        owner: <group id>          # default: the first group
        categories: {category1: "KR-1 Permits", category2: "KR-2 Satisfaction"}
        buckets: [{id: "…", name: "Week 46"}]
        tasks:
          - title: Draft checklist
            bucket: Week 46        # bucket id or name
            percentComplete: 50
            dueDateTime: "2026-11-20T17:00:00Z"
            startDateTime: null
            createdDateTime: "2026-11-02T08:00:00Z"
            assignments: [<user id or userPrincipalName>]
            appliedCategories: [category1]   # or {category1: true}
            priority: 5
            description: "…"
            checklist: [{title: Collect forms, isChecked: true, by: <user id>, at: <ISO time>}]   # by/at optional
            references: [{url: "https://intranet.example/kr-1", alias: KR-1, type: Other}]
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from okr_sync.sandbox.clock import SandboxClock

EMPTY_PLAN_ID = "okrSandboxPlan00000000000001"
DEFAULT_GROUP_ID = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
APP_ID = "11111111-1111-1111-1111-111111111111"  # the sandbox's client id: who writes via the API
CATEGORIES = tuple(f"category{n}" for n in range(1, 26))


def graph_time(when: datetime | None) -> str | None:
    """Graph's timestamp format: UTC with seven fractional digits and ``Z``."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time (``Z`` or offset; naive means UTC); ``ValueError`` otherwise."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def identity(app: bool = True) -> dict[str, Any]:
    """The ``identitySet`` of the writer (the sandbox's app registration)."""
    return {"application": {"displayName": None, "id": APP_ID}, "user": None} if app else {}


@dataclass
class Entity:
    """One ETagged Planner entity: ``kind`` is plan, planDetails, bucket, task or taskDetails."""

    kind: str
    props: dict[str, Any]
    seq: int
    etag: str = ""

    @property
    def id(self) -> str:
        """The entity's id (details share the id of their task or plan)."""
        return str(self.props["id"])


@dataclass
class GraphState:
    """Everything the Graph emulator knows; the emulator serialises access with its own lock."""

    clock: SandboxClock
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, kind: str) -> str:
        """A fresh, deterministic 28-character Planner-style id."""
        digest = hashlib.sha256(f"{kind}-{next(self._counter)}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:28]

    def touch(self, entity: Entity) -> None:
        """Give ``entity`` a new ETag (every write does)."""
        version = next(self._counter)
        raw = f"'{version}-{entity.kind} @@@@@@@@@@@@@@@@@@@@@@@@'".encode()
        entity.etag = 'W/"' + base64.b64encode(raw).decode() + '"'

    def add(self, kind: str, props: dict[str, Any]) -> Entity:
        """Store a new entity with a fresh ETag."""
        entity = Entity(kind, props, next(self._counter))
        self.touch(entity)
        self.entities[(kind, entity.id)] = entity
        return entity

    def get(self, kind: str, entity_id: str) -> Entity | None:
        """An entity by kind and id."""
        return self.entities.get((kind, entity_id))

    def all(self, kind: str, **match: Any) -> list[Entity]:
        """Entities of ``kind`` whose properties equal ``match``, in creation order."""
        found = [e for (k, _), e in self.entities.items()
                 if k == kind and all(e.props.get(p) == v for p, v in match.items())]
        return sorted(found, key=lambda e: e.seq)

    def remove(self, kind: str, entity_id: str) -> None:
        """Delete an entity (no error when absent)."""
        self.entities.pop((kind, entity_id), None)

    def find_user(self, ref: str) -> dict[str, Any] | None:
        """A user by id or userPrincipalName (case-insensitive)."""
        return self.users.get(ref) or next(
            (u for u in self.users.values() if str(u.get("userPrincipalName", "")).lower() == ref.lower()), None)

    # -- new entities ------------------------------------------------------------------------------

    def new_plan(self, title: str, group_id: str, plan_id: str | None = None,
                 categories: dict[str, str] | None = None, created: datetime | None = None) -> Entity:
        """A plan in a group, with its details entity."""
        pid = plan_id or self.new_id("plan")
        stamp = graph_time(created or self.clock.tick())
        plan = self.add("plan", {
            "id": pid, "title": title, "owner": group_id, "createdDateTime": stamp,
            "createdBy": identity(),
            "container": {"@odata.type": "microsoft.graph.plannerPlanContainer", "containerId": group_id,
                          "type": "group", "url": f"https://graph.microsoft.com/v1.0/groups/{group_id}"},
        })
        descriptions: dict[str, Any] = dict.fromkeys(CATEGORIES)
        descriptions.update(categories or {})
        self.add("planDetails", {"id": pid, "sharedWith": {}, "categoryDescriptions": descriptions})
        return plan

    def new_task(self, plan_id: str, title: str, created: datetime | None = None,
                 task_id: str | None = None) -> Entity:
        """A task with default properties and its (empty) details entity."""
        tid = task_id or self.new_id("task")
        task = self.add("task", {
            "planId": plan_id, "bucketId": None, "title": title, "orderHint": "8585" + tid[:6],
            "assigneePriority": "", "percentComplete": 0, "startDateTime": None,
            "createdDateTime": graph_time(created or self.clock.tick()), "dueDateTime": None,
            "hasDescription": False, "previewType": "automatic", "completedDateTime": None,
            "completedBy": None, "referenceCount": 0, "checklistItemCount": 0, "activeChecklistItemCount": 0,
            "conversationThreadId": None, "priority": 5, "id": tid, "createdBy": identity(),
            "appliedCategories": {}, "assignments": {},
        })
        self.add("taskDetails", {"description": "", "previewType": "automatic", "id": tid,
                                 "references": {}, "checklist": {}})
        return task

    def sync_task_summary(self, task_id: str) -> None:
        """Mirror details into the task's summary fields; a changed summary is a task write (new ETag)."""
        task, details = self.get("task", task_id), self.get("taskDetails", task_id)
        if task is None or details is None:
            return
        checklist = details.props["checklist"]
        summary = {
            "hasDescription": bool(details.props.get("description")),
            "checklistItemCount": len(checklist),
            "activeChecklistItemCount": sum(1 for item in checklist.values() if not item.get("isChecked")),
            "referenceCount": len(details.props["references"]),
        }
        if any(task.props[k] != v for k, v in summary.items()):
            task.props.update(summary)
            self.touch(task)

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON-serialisable dump (plans first, as the core reads ``plans`` for the plan id)."""
        def dump(kind: str) -> list[dict[str, Any]]:
            return [{"@odata.etag": e.etag, **e.props} for e in self.all(kind)]

        return {"plans": dump("plan"), "planDetails": dump("planDetails"), "buckets": dump("bucket"),
                "tasks": dump("task"), "taskDetails": dump("taskDetails"),
                "users": list(self.users.values()), "groups": list(self.groups.values())}
