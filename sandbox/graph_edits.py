"""Validation and application of Planner POST/PATCH bodies, with Graph's error answers.

Planner's open types merge on PATCH: ``assignments``, ``appliedCategories``, task details'
``checklist`` and ``references``, and plan details' ``categoryDescriptions`` and ``sharedWith`` take
only the keys given, a ``null`` value removes one. Unknown properties and changed read-only ones are a
400, as Graph answers them; ``@odata.*`` annotations are ignored.
"""

from __future__ import annotations

from typing import Any

from okr_sync.sandbox.graph_store import CATEGORIES, Entity, GraphState, graph_time, identity, parse_time

WRITABLE: dict[str, frozenset[str]] = {
    "plan": frozenset({"title"}),
    "planDetails": frozenset({"sharedWith", "categoryDescriptions"}),
    "bucket": frozenset({"name", "orderHint"}),
    "task": frozenset({"title", "bucketId", "percentComplete", "startDateTime", "dueDateTime", "assignments",
                       "appliedCategories", "orderHint", "assigneePriority", "priority", "conversationThreadId",
                       "previewType"}),
    "taskDetails": frozenset({"description", "previewType", "references", "checklist"}),
}
TYPE_NAMES = {"plan": "plannerPlan", "planDetails": "plannerPlanDetails", "bucket": "plannerBucket",
              "task": "plannerTask", "taskDetails": "plannerTaskDetails"}
PREVIEW_TYPES = ("automatic", "noPreview", "checklist", "description", "reference")
MAX_CHECKLIST_ITEMS = 20
MAX_TITLE = 255


class GraphError(Exception):
    """An error answer in Graph's shape: status, ``error.code`` and ``error.message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def bad_request(message: str) -> GraphError:
    """A 400 ``BadRequest``."""
    return GraphError(400, "BadRequest", message)


def apply(state: GraphState, entity: Entity, body: dict[str, Any], *, creating: bool = False) -> None:
    """Validate ``body`` for ``entity``'s kind and apply it (nothing changes when it is invalid)."""
    allowed = WRITABLE[entity.kind] | ({"planId"} if creating else frozenset())
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if key == "details":
            raise bad_request("The sandbox does not emulate setting 'details' inline; create the task, then "
                              "PATCH /planner/tasks/{id}/details with the details' ETag in If-Match.")
        if key not in allowed:
            if key in entity.props and entity.props[key] == value:
                continue  # an unchanged read-only property sent back is harmless
            if key in entity.props:
                raise bad_request(f"The property '{key}' is read-only and cannot be set.")
            raise bad_request(f"The property '{key}' does not exist on type 'microsoft.graph."
                              f"{TYPE_NAMES[entity.kind]}'. Make sure to only use property names that are "
                              "defined by the type or mark the type as open type.")
        changes[key] = _validated(state, entity, key, value)
    entity.props.update(changes)
    if entity.kind == "task" and "percentComplete" in changes:
        done = changes["percentComplete"] == 100
        entity.props["completedDateTime"] = graph_time(state.clock.tick()) if done else None
        entity.props["completedBy"] = identity() if done else None


def _validated(state: GraphState, entity: Entity, key: str, value: Any) -> Any:
    props = entity.props
    if key in ("title", "name"):
        if not isinstance(value, str) or not value.strip():
            raise bad_request(f"Schema validation has failed. Validation for field '{key}' on entity "
                              f"'{TYPE_NAMES[entity.kind]}' has failed: The field is required.")
        if len(value) > MAX_TITLE:
            raise bad_request(f"The value of '{key}' is longer than {MAX_TITLE} characters.")
        return value
    if key == "percentComplete":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise bad_request("The value of 'percentComplete' must be an integer between 0 and 100.")
        return value
    if key == "priority":
        if not isinstance(value, int) or not 0 <= value <= 10:
            raise bad_request("The value of 'priority' must be an integer between 0 and 10.")
        return value
    if key in ("startDateTime", "dueDateTime"):
        if value is None:
            return None
        try:
            return parse_time(value).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise bad_request(f"Cannot convert the literal '{value}' to the expected type "
                              "'Edm.DateTimeOffset'.") from None
    if key == "bucketId":
        bucket = state.get("bucket", str(value)) if value is not None else None
        if value is not None and (bucket is None or bucket.props["planId"] != props.get("planId")):
            raise bad_request(f"The bucket '{value}' does not exist in the task's plan.")
        return value
    if key == "previewType":
        if value not in PREVIEW_TYPES:
            raise bad_request(f"The value '{value}' is not valid for 'previewType'.")
        return value
    if key in ("assignments", "appliedCategories", "checklist", "references", "categoryDescriptions",
               "sharedWith"):
        if not isinstance(value, dict):
            raise bad_request(f"The property '{key}' must be a JSON object.")
        return _merged(state, key, dict(props.get(key) or {}), value)
    if key == "planId":
        if state.get("plan", str(value)) is None:
            raise GraphError(404, "", "The requested item is not found.")
        return value
    if key == "description" and not isinstance(value, str):
        raise bad_request("The property 'description' must be a string.")
    return value


def _merged(state: GraphState, key: str, current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    now = graph_time(state.clock.now())
    for name, value in patch.items():
        if name.startswith("@odata."):
            continue
        if key in ("appliedCategories", "categoryDescriptions") and name not in CATEGORIES:
            raise bad_request(f"'{name}' is not a valid category; use category1 … category25.")
        if key == "references" and any(ch in name for ch in ".:@#"):
            raise bad_request(f"The reference key '{name}' is invalid: encode '.', ':', '@' and '#' in "
                              "reference URLs (e.g. https%3A//intranet%2Eexample/kr-1).")
        if value is None:
            current.pop(name, None) if key != "categoryDescriptions" else current.update({name: None})
            continue
        if key == "appliedCategories":
            if value is True:
                current[name] = True
            else:
                current.pop(name, None)
        elif key in ("categoryDescriptions", "sharedWith"):
            current[name] = value
        elif key == "assignments":
            current[name] = {"@odata.type": "#microsoft.graph.plannerAssignment", "assignedDateTime": now,
                             "orderHint": value.get("orderHint", " !") if isinstance(value, dict) else " !",
                             "assignedBy": identity()}
        else:
            current[name] = _open_item(key, name, current.get(name), value, now)
    if key == "checklist" and len(current) > MAX_CHECKLIST_ITEMS:
        raise GraphError(403, "MaximumChecklistItemsOnTask",
                         f"A task can have at most {MAX_CHECKLIST_ITEMS} checklist items.")
    return current


def _open_item(key: str, name: str, old: dict[str, Any] | None, value: Any, now: str | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"The {key} entry '{name}' must be a JSON object or null.")
    item = dict(old or {})
    if key == "checklist":
        if old is None and not value.get("title"):
            raise bad_request(f"The new checklist item '{name}' needs a 'title'.")
        item.setdefault("@odata.type", "#microsoft.graph.plannerChecklistItem")
        item.setdefault("isChecked", False)
        item.setdefault("orderHint", "85" + name[:6])
        for field in ("title", "isChecked", "orderHint"):
            if field in value:
                item[field] = value[field]
    else:
        item.setdefault("@odata.type", "#microsoft.graph.plannerExternalReference")
        item.setdefault("alias", None)
        item.setdefault("type", None)
        item.setdefault("previewPriority", "85" + name[:6])
        for field in ("alias", "type", "previewPriority"):
            if field in value:
                item[field] = value[field]
    item["lastModifiedDateTime"] = now
    item["lastModifiedBy"] = identity()
    return item
