"""Planner endpoints of the Graph emulator: plans, plan details, buckets, tasks and task details.

Handlers take a :class:`PlannerCall` plus the URL's parameters and return ``(status, body)``; they
raise :class:`~sandbox.graph_edits.GraphError` for Graph's error answers. Writes need ``If-Match``
with the entity's current ETag (412 ``PreconditionFailed`` when missing or stale), answer 204, or 200
with the entity under ``Prefer: return=representation``, and give the entity a new ETag.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from okr_sync.sandbox.graph_edits import GraphError, apply, bad_request
from okr_sync.sandbox.graph_store import Entity, GraphState

Reply = tuple[int, Any]
MAX_TASKS = 9000
MAX_BUCKETS = 200
UNSUPPORTED_OPTIONS = ("$filter", "$orderby", "$count", "$search", "$skip")
ENTITY_PATHS = {"plan": "planner/plans", "planDetails": "planner/plans/{id}/details",
                "bucket": "planner/buckets", "task": "planner/tasks", "taskDetails": "planner/tasks/{id}/details"}


@dataclass
class PlannerCall:
    """One authorised Graph request: state, options, body and the URL the client used (``base``)."""

    state: GraphState
    base: str
    path: str
    query: MultiDict[str, str]
    body: dict[str, Any]
    if_match: str | None
    representation: bool
    page_size: int

    def entity(self, kind: str, entity_id: str) -> Entity:
        """The entity or 404 as Planner answers it."""
        found = self.state.get(kind, entity_id)
        if found is None:
            raise GraphError(404, "", "The requested item is not found.")
        return found

    def render(self, entity: Entity, *, context: bool = True) -> dict[str, Any]:
        """The entity's JSON with ``@odata.etag`` (and ``$select``/``$expand=details`` applied)."""
        body: dict[str, Any] = {"@odata.etag": entity.etag, **entity.props}
        selected = [s.strip() for s in self.query.get("$select", "").split(",") if s.strip()]
        if selected:
            body = {k: v for k, v in body.items() if k in selected or k in ("id", "@odata.etag")}
        if entity.kind == "task" and "details" in self.query.get("$expand", ""):
            details = self.state.get("taskDetails", entity.id)
            body["details"] = self.render(details, context=False) if details else None
        if context:
            path = ENTITY_PATHS[entity.kind].replace("/{id}", "")
            return {"@odata.context": f"{self.base}/$metadata#{path}/$entity", **body}
        return body

    def write(self, entity: Entity) -> Reply:
        """Check ``If-Match``, apply the body, re-stamp the ETag; answer 204 or 200 with the entity."""
        self.precondition(entity)
        apply(self.state, entity, self.body)
        self.state.touch(entity)
        if entity.kind == "taskDetails":
            self.state.sync_task_summary(entity.id)
        return (200, self.render(entity)) if self.representation else (204, None)

    def precondition(self, entity: Entity) -> None:
        """412 unless ``If-Match`` names the entity's current ETag."""
        if self.if_match is None:
            raise GraphError(412, "PreconditionFailed",
                             "The If-Match header must be specified for this kind of request.")
        if self.if_match != entity.etag:
            raise GraphError(412, "PreconditionFailed",
                             "The If-Match header does not match the entity's current ETag.")

    def collection(self, entities: list[Entity], context: str) -> Reply:
        """A ``{"value": [...]}`` page of the server's size with ``@odata.nextLink`` (``$skiptoken``) while more
        remain; ``$top`` is ignored, as Planner ignores it."""
        for option in UNSUPPORTED_OPTIONS:
            if option in self.query:
                raise bad_request(f"The query option '{option}' is not supported for this request.")
        size = self.page_size  # Planner pages at its own size: $top is not honoured (see sandbox.graph)
        after = 0
        if "$skiptoken" in self.query:
            try:
                after = int(base64.urlsafe_b64decode(self.query["$skiptoken"].encode()).decode())
            except ValueError:
                raise bad_request("The $skiptoken value is invalid.") from None
        remaining = [e for e in entities if e.seq > after]
        page = remaining[:size]
        body: dict[str, Any] = {"@odata.context": f"{self.base}/$metadata#{context}",
                                "value": [self.render(e, context=False) for e in page]}
        if len(remaining) > size:
            token = base64.urlsafe_b64encode(str(page[-1].seq).encode()).decode()
            kept = [(k, v) for k, v in self.query.items(multi=True) if k != "$skiptoken"]
            body["@odata.nextLink"] = f"{self.base}{self.path}?{urlencode([*kept, ('$skiptoken', token)])}"
        return 200, body


# -- plans ----------------------------------------------------------------------------------------


def get_plan(call: PlannerCall, plan_id: str) -> Reply:
    """``GET /planner/plans/{id}``."""
    return 200, call.render(call.entity("plan", plan_id))


def patch_plan(call: PlannerCall, plan_id: str) -> Reply:
    """``PATCH /planner/plans/{id}`` (title)."""
    return call.write(call.entity("plan", plan_id))


def create_plan(call: PlannerCall) -> Reply:
    """``POST /planner/plans`` with ``container`` (or legacy ``owner``) and ``title`` → 201."""
    container = call.body.get("container") or {}
    group_id = container.get("containerId") or str(container.get("url", "")).rstrip("/").rpartition("/")[2] \
        or call.body.get("owner")
    if not group_id or group_id not in call.state.groups:
        raise bad_request("The plan's container must name an existing group (container.url or containerId).")
    title = call.body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad_request("Schema validation has failed. Validation for field 'title' on entity 'plannerPlan' "
                          "has failed: The field is required.")
    return 201, call.render(call.state.new_plan(title, group_id))


def list_group_plans(call: PlannerCall, group_id: str) -> Reply:
    """``GET /groups/{id}/planner/plans``."""
    if group_id not in call.state.groups:
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist or one of its "
                                                           "queried reference-property objects are not present.")
    return call.collection(call.state.all("plan", owner=group_id), "planner/plans")


def get_plan_details(call: PlannerCall, plan_id: str) -> Reply:
    """``GET /planner/plans/{id}/details``."""
    return 200, call.render(call.entity("planDetails", plan_id))


def patch_plan_details(call: PlannerCall, plan_id: str) -> Reply:
    """``PATCH /planner/plans/{id}/details`` (categoryDescriptions, sharedWith)."""
    return call.write(call.entity("planDetails", plan_id))


# -- buckets --------------------------------------------------------------------------------------


def list_plan_buckets(call: PlannerCall, plan_id: str) -> Reply:
    """``GET /planner/plans/{id}/buckets``."""
    call.entity("plan", plan_id)
    return call.collection(call.state.all("bucket", planId=plan_id), "planner/buckets")


def create_bucket(call: PlannerCall) -> Reply:
    """``POST /planner/buckets`` with ``name`` and ``planId`` → 201."""
    if not call.body.get("planId"):
        raise bad_request("Schema validation has failed. Validation for field 'planId' on entity "
                          "'plannerBucket' has failed: The field is required.")
    if len(call.state.all("bucket", planId=call.body["planId"])) >= MAX_BUCKETS:
        raise GraphError(403, "MaximumBucketsInPlan", f"The plan already has the maximum of {MAX_BUCKETS} buckets.")
    bucket = Entity("bucket", {"name": None, "planId": None, "orderHint": " !",
                               "id": call.state.new_id("bucket")}, 0)
    apply(call.state, bucket, {"name": None, **call.body}, creating=True)
    stored = call.state.add("bucket", bucket.props)
    return 201, call.render(stored)


def get_bucket(call: PlannerCall, bucket_id: str) -> Reply:
    """``GET /planner/buckets/{id}``."""
    return 200, call.render(call.entity("bucket", bucket_id))


def patch_bucket(call: PlannerCall, bucket_id: str) -> Reply:
    """``PATCH /planner/buckets/{id}``."""
    return call.write(call.entity("bucket", bucket_id))


def delete_bucket(call: PlannerCall, bucket_id: str) -> Reply:
    """``DELETE /planner/buckets/{id}`` → 204; its tasks go with it."""
    bucket = call.entity("bucket", bucket_id)
    call.precondition(bucket)
    for task in call.state.all("task", bucketId=bucket.id):
        call.state.remove("task", task.id)
        call.state.remove("taskDetails", task.id)
    call.state.remove("bucket", bucket.id)
    return 204, None


def list_bucket_tasks(call: PlannerCall, bucket_id: str) -> Reply:
    """``GET /planner/buckets/{id}/tasks``."""
    call.entity("bucket", bucket_id)
    return call.collection(call.state.all("task", bucketId=bucket_id), "planner/tasks")


# -- tasks ----------------------------------------------------------------------------------------


def list_plan_tasks(call: PlannerCall, plan_id: str) -> Reply:
    """``GET /planner/plans/{id}/tasks`` — paged with ``@odata.nextLink``."""
    call.entity("plan", plan_id)
    return call.collection(call.state.all("task", planId=plan_id), "planner/tasks")


def create_task(call: PlannerCall, plan_id: str | None = None) -> Reply:
    """``POST /planner/tasks`` (or ``/planner/plans/{id}/tasks``) with ``planId`` and ``title`` → 201."""
    body = {**call.body, **({"planId": plan_id} if plan_id else {})}
    if not body.get("planId"):
        raise bad_request("Schema validation has failed. Validation for field 'planId' on entity "
                          "'plannerTask' has failed: The field is required.")
    if not isinstance(body.get("title"), str) or not body["title"].strip():
        raise bad_request("Schema validation has failed. Validation for field 'title' on entity "
                          "'plannerTask' has failed: The field is required.")
    plan = call.state.get("plan", str(body["planId"]))
    if plan is None:
        raise GraphError(404, "", "The requested item is not found.")
    if len(call.state.all("task", planId=plan.id)) >= MAX_TASKS:
        raise GraphError(403, "MaximumTasksInProject", f"The plan already has the maximum of {MAX_TASKS} tasks.")
    probe = Entity("task", {"planId": plan.id, "title": body["title"]}, 0)
    apply(call.state, probe, body, creating=True)  # validate everything before storing anything
    task = call.state.new_task(plan.id, body["title"])
    apply(call.state, task, body, creating=True)
    call.state.touch(task)
    return 201, call.render(task)


def get_task(call: PlannerCall, task_id: str) -> Reply:
    """``GET /planner/tasks/{id}``."""
    return 200, call.render(call.entity("task", task_id))


def patch_task(call: PlannerCall, task_id: str) -> Reply:
    """``PATCH /planner/tasks/{id}``."""
    return call.write(call.entity("task", task_id))


def delete_task(call: PlannerCall, task_id: str) -> Reply:
    """``DELETE /planner/tasks/{id}`` → 204."""
    task = call.entity("task", task_id)
    call.precondition(task)
    call.state.remove("task", task.id)
    call.state.remove("taskDetails", task.id)
    return 204, None


def get_task_details(call: PlannerCall, task_id: str) -> Reply:
    """``GET /planner/tasks/{id}/details``."""
    return 200, call.render(call.entity("taskDetails", task_id))


def patch_task_details(call: PlannerCall, task_id: str) -> Reply:
    """``PATCH /planner/tasks/{id}/details`` (description, checklist, references, previewType)."""
    return call.write(call.entity("taskDetails", task_id))


def list_users(call: PlannerCall) -> Reply:
    """``GET /users``: every user, ``$select`` and ``$top`` (1–999, default 100) honoured, paged with an
    absolute ``@odata.nextLink`` (``$skiptoken``); ``$filter`` and the other options are refused (400)."""
    for option in UNSUPPORTED_OPTIONS:
        if option in call.query:
            raise bad_request(f"The query option '{option}' is not supported by this sandbox for /users.")
    top = call.query.get("$top", "100")
    if not top.isdigit() or not 1 <= int(top) <= 999:
        raise bad_request(f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.")
    try:
        after = int(base64.urlsafe_b64decode(call.query.get("$skiptoken", "").encode()).decode() or 0)
    except ValueError:
        raise bad_request("The $skiptoken value is invalid.") from None
    users = list(call.state.users.values())
    page = users[after:after + int(top)]
    selected = [s.strip() for s in call.query.get("$select", "").split(",") if s.strip()]
    body: dict[str, Any] = {"@odata.context": f"{call.base}/$metadata#users",
                            "value": [{k: v for k, v in u.items() if not selected or k in selected or k == "id"}
                                      for u in page]}
    if after + int(top) < len(users):
        token = base64.urlsafe_b64encode(str(after + int(top)).encode()).decode()
        kept = [(k, v) for k, v in call.query.items(multi=True) if k != "$skiptoken"]
        body["@odata.nextLink"] = f"{call.base}{call.path}?{urlencode([*kept, ('$skiptoken', token)])}"
    return 200, body


def get_user(call: PlannerCall, user_id: str) -> Reply:
    """``GET /users/{id | userPrincipalName}``."""
    user = call.state.find_user(user_id)
    if user is None:
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist or one of its "
                                                          "queried reference-property objects are not present.")
    return 200, {"@odata.context": f"{call.base}/$metadata#users/$entity", **user}
