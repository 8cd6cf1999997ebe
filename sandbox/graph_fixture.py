"""Loading the ``planner`` section of a sandbox fixture into a :class:`GraphState`.

The format is documented in :mod:`sandbox.graph_store`; ``None`` gives the ``empty`` state: one plan
titled ``OKR`` with the stable id :data:`~sandbox.graph_store.EMPTY_PLAN_ID` and nothing in it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from okr_sync.sandbox.graph_edits import GraphError, apply
from okr_sync.sandbox.graph_store import DEFAULT_GROUP_ID, EMPTY_PLAN_ID, GraphState, graph_time, parse_time


class GraphFixtureError(ValueError):
    """The fixture's ``planner`` section is malformed; the message names the entry and the fix."""


def load_graph_fixture(state: GraphState, fixture: dict[str, Any] | None) -> None:
    """Fill ``state`` from a fixture section; ``None`` (or no ``plans``) means the empty plan ``OKR``."""
    fixture = fixture or {}
    for user in fixture.get("users") or []:
        state.users[str(user["id"])] = {"id": str(user["id"]), "displayName": user.get("displayName"),
                                        "userPrincipalName": user.get("userPrincipalName"),
                                        "mail": user.get("mail"), "businessPhones": [],
                                        "jobTitle": user.get("jobTitle"), "officeLocation": None}
    for group in fixture.get("groups") or [{"id": DEFAULT_GROUP_ID, "displayName": "OKR"}]:
        state.groups[str(group["id"])] = {"id": str(group["id"]), "displayName": group.get("displayName")}
    plans = fixture.get("plans")
    if not plans:
        state.new_plan("OKR", next(iter(state.groups)), plan_id=EMPTY_PLAN_ID)
        return
    for index, plan in enumerate(plans):
        _load_plan(state, plan, f"plans[{index}]")


def _load_plan(state: GraphState, spec: dict[str, Any], where: str) -> None:
    owner = str(spec.get("owner") or next(iter(state.groups)))
    if owner not in state.groups:
        raise GraphFixtureError(f"planner fixture {where}: owner group {owner!r} is not listed under groups")
    created = parse_time(spec["createdDateTime"]) if spec.get("createdDateTime") else None
    plan = state.new_plan(str(spec["title"]), owner, plan_id=spec.get("id"),
                          categories=spec.get("categories"), created=created)
    buckets: dict[str, str] = {}
    for number, bucket in enumerate(spec.get("buckets") or []):
        entity = state.add("bucket", {"name": str(bucket["name"]), "planId": plan.id,
                                      "orderHint": bucket.get("orderHint", f"8585{number:04d}"),
                                      "id": bucket.get("id") or state.new_id("bucket")})
        buckets[entity.id] = buckets[str(bucket["name"])] = entity.id
    for number, task in enumerate(spec.get("tasks") or []):
        _load_task(state, plan.id, buckets, task, f"{where}.tasks[{number}]")


def _load_task(state: GraphState, plan_id: str, buckets: dict[str, str], spec: dict[str, Any],
               where: str) -> None:
    created = parse_time(spec["createdDateTime"]) if spec.get("createdDateTime") else None
    task = state.new_task(plan_id, str(spec["title"]), created=created, task_id=spec.get("id"))
    body: dict[str, Any] = {k: spec[k] for k in ("percentComplete", "startDateTime", "dueDateTime", "priority")
                            if k in spec}
    if spec.get("bucket") is not None:
        if str(spec["bucket"]) not in buckets:
            raise GraphFixtureError(f"planner fixture {where}: bucket {spec['bucket']!r} is not in the plan")
        body["bucketId"] = buckets[str(spec["bucket"])]
    assignees = []
    for ref in spec.get("assignments") or []:
        user = state.find_user(str(ref))
        assignees.append(user["id"] if user else str(ref))
    body["assignments"] = {uid: {"orderHint": " !"} for uid in assignees}
    categories = spec.get("appliedCategories") or {}
    body["appliedCategories"] = dict.fromkeys(categories, True) if isinstance(categories, list) else categories
    details: dict[str, Any] = {}
    if spec.get("description"):
        details["description"] = str(spec["description"])
    if spec.get("checklist"):
        details["checklist"] = {f"{n:08d}-0000-4000-8000-{n:012d}": {"title": item["title"],
                                                                   "isChecked": bool(item.get("isChecked"))}
                                for n, item in enumerate(spec["checklist"], start=1)}
    if spec.get("references"):
        details["references"] = {quote(ref["url"], safe="/").replace(".", "%2E"): {
            "alias": ref.get("alias"), "type": ref.get("type", "Other")} for ref in spec["references"]}
    try:
        apply(state, task, body)
        apply(state, state.get("taskDetails", task.id), details)  # type: ignore[arg-type]
    except GraphError as exc:
        raise GraphFixtureError(f"planner fixture {where}: {exc.message}") from exc
    _checklist_authors(state.get("taskDetails", task.id).props.get("checklist") or {},  # type: ignore[union-attr]
                       spec.get("checklist") or [])
    if spec.get("completedDateTime") and task.props["percentComplete"] == 100:
        task.props["completedDateTime"] = graph_time(parse_time(spec["completedDateTime"]))
    state.sync_task_summary(task.id)


def _checklist_authors(checklist: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    """Who last changed each fixture checklist item and when (``by``: user id, ``at``), where given —
    as if a person had ticked or typed it, not the fixture loader."""
    for (_, item), spec in zip(sorted(checklist.items()), specs, strict=False):
        if spec.get("by"):
            item["lastModifiedBy"] = {"user": {"id": str(spec["by"]), "displayName": None}, "application": None}
        if spec.get("at"):
            item["lastModifiedDateTime"] = graph_time(parse_time(spec["at"]))
