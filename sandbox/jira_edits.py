"""Field edits of the Jira emulator: validating ``fields`` / ``update`` bodies and recording history.

Used by issue create, edit (``PUT /issue``) and transitions. Validation follows Jira: an unknown or
non-editable field, a bad option, a non-number for a number field all give a 400 whose ``errors``
map the field id to a message; every applied change lands in the issue's changelog with author and
time; ``updated`` is stamped with ``clock.tick()`` by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from okr_sync.sandbox.jira_model import Comment, CustomField, History, Issue, JiraApiError, JiraState, User

NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
SYSTEM_EDITABLE = {"summary", "description", "labels", "assignee", "reporter", "duedate", "parent", "priority"}


@dataclass
class Edit:
    """One write request's context: the state, the acting user and the write time."""

    state: JiraState
    author: User
    now: datetime


def apply_edits(e: Edit, issue: Issue, fields: dict[str, Any], update: dict[str, Any], *,
                creating: bool = False) -> list[dict[str, str | None]]:
    """Validate then apply ``fields`` and ``update`` to ``issue``; return the changelog items.

    Raises a 400 :class:`JiraApiError` listing every bad field before changing anything.
    """
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise JiraApiError(400, "Can not deserialize the request: 'fields' and 'update' must be objects.")
    errors: dict[str, str] = {}
    planned: list[tuple[str, Any]] = []
    for fid in fields.keys() & update.keys():
        errors[fid] = f"Field '{fid}' cannot be set both in 'fields' and in 'update'."
    for fid, value in fields.items():
        _plan(e, issue, fid, value, errors, planned, creating)
    comments: list[str] = []
    for fid, ops in update.items():
        if fid == "comment":
            comments += _comment_ops(ops, errors)
            continue
        if not isinstance(ops, list):
            errors[fid] = f"Operations for '{fid}' must be a list of {{\"add\"|\"remove\"|\"set\": value}}."
            continue
        value = _current(e.state, issue, fid)
        for op in ops:
            value = _apply_op(e.state, fid, value, op, errors)
        if fid not in errors:
            _plan(e, issue, fid, value, errors, planned, creating)
    if errors:
        raise JiraApiError(400, [], errors)
    items = []
    for fid, value in planned:
        item = _set(e.state, issue, fid, value)
        if item is not None:
            items.append(item)
    for body in comments:
        issue.comments.append(Comment(e.state.next_id(), e.author.name, body, e.now, e.now, e.author.name))
    return items


def record(e: Edit, issue: Issue, items: list[dict[str, str | None]]) -> None:
    """Append a changelog entry (if anything changed) and stamp ``updated``."""
    if items:
        issue.histories.append(History(e.state.next_id(), e.author.name, e.now, items))
    issue.updated = e.now


def _comment_ops(ops: Any, errors: dict[str, str]) -> list[str]:
    bodies = []
    for op in ops if isinstance(ops, list) else [None]:
        body = op.get("add", {}).get("body") if isinstance(op, dict) else None
        if not isinstance(body, str) or not body.strip():
            errors["comment"] = "Comment body can not be empty!"
        else:
            bodies.append(body)
    return bodies


def _current(state: JiraState, issue: Issue, fid: str) -> Any:
    if fid == "labels":
        return list(issue.labels)
    cf = state.custom_field(fid) if fid.startswith("customfield_") else None
    if cf is not None and cf.kind == "checkbox":
        return [{"id": o["id"]} for o in issue.custom.get(cf.id) or []]
    return None


def _apply_op(state: JiraState, fid: str, value: Any, op: Any, errors: dict[str, str]) -> Any:
    if not isinstance(op, dict) or len(op) != 1:
        errors[fid] = f"Each operation for '{fid}' must be one of {{\"add\"|\"remove\"|\"set\": value}}."
        return value
    (verb, arg), = op.items()
    cf = state.custom_field(fid) if fid.startswith("customfield_") else None
    multi = fid == "labels" or (cf is not None and cf.kind == "checkbox")
    if verb == "set":
        return arg
    if verb in ("add", "remove") and multi:
        items = list(value or [])
        if verb == "add":
            return [*items, arg] if arg not in items else items
        return [x for x in items if x != arg and not (isinstance(x, dict) and isinstance(arg, dict)
                                                       and _same_option(x, arg))]
    errors[fid] = f"The operation '{verb}' is not supported by the field '{fid}'."
    return value


def _same_option(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return ("id" in a and str(a.get("id")) == str(b.get("id"))) or (
        "value" in a and a.get("value") == b.get("value"))


def _plan(e: Edit, issue: Issue, fid: str, value: Any, errors: dict[str, str],
          planned: list[tuple[str, Any]], creating: bool) -> None:
    try:
        planned.append((fid, _coerce(e, issue, fid, value, creating)))
    except ValueError as exc:
        errors[fid] = str(exc)


def _coerce(e: Edit, issue: Issue, fid: str, value: Any, creating: bool) -> Any:
    s = e.state
    if fid.startswith("customfield_"):
        cf = s.custom_field(fid)
        if cf is None or cf.id != fid:
            raise ValueError(NOT_SETTABLE.format(fid))
        return _custom(s, issue, cf, value)
    if fid not in SYSTEM_EDITABLE:
        raise ValueError(NOT_SETTABLE.format(fid))
    if fid == "summary":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("You must specify a summary of the issue.")
        if "\n" in value or "\r" in value:
            raise ValueError("The summary is invalid because it contains newline characters.")
        return value
    if fid == "description":
        if value is not None and not isinstance(value, str):
            raise ValueError("Operation value must be a string (REST v2 takes plain wiki text, not ADF).")
        return value
    if fid == "labels":
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValueError("Labels must be a list of strings.")
        for label in value:
            if not label or " " in label or len(label) > 255:
                raise ValueError(f"The label '{label}' is invalid: labels cannot contain spaces "
                                 "and must be 1 to 255 characters long.")
        return list(dict.fromkeys(value))
    if fid in ("assignee", "reporter"):
        return _user_ref(s, value)
    if fid == "duedate":
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"Error parsing date string: {value}") from None
    if fid == "priority":
        if not isinstance(value, dict) or str(value.get("name", value.get("id", ""))) not in ("Medium", "3"):
            raise ValueError("Specify a valid priority (the sandbox has only 'Medium', id 3).")
        return None
    return _parent(s, issue, value)


def _user_ref(s: JiraState, value: Any) -> str | None:
    if value is None:
        return None
    keys = ("accountId",) if s.cloud else ("name", "key")
    ref = next((value.get(k) for k in keys if isinstance(value, dict) and value.get(k)), None)
    if ref is None:
        raise ValueError(f"Specify the user by {' or '.join(keys)}"
                         + (" (Jira Cloud does not accept 'name')." if s.cloud else "."))
    user = next((u for u in s.users if str(ref) in ((u.account_id,) if s.cloud else (u.name,))), None)
    if user is None:
        raise ValueError(f"User '{ref}' does not exist.")
    return user.name


def _parent(s: JiraState, issue: Issue, value: Any) -> str | None:
    ref = value.get("key") or value.get("id") if isinstance(value, dict) else None
    parent = s.issue(str(ref)) if ref else None
    if parent is None:
        raise ValueError(f"Could not find issue by id or key: {ref}")
    child_level = s.issue_type(issue.type_id).hierarchy
    parent_level = s.issue_type(parent.type_id).hierarchy
    if parent.id == issue.id or parent_level != child_level + 1 or (not s.cloud and child_level >= 0):
        raise ValueError(f"Issue {parent.key} cannot be the parent of a {s.issue_type(issue.type_id).name}"
                         + ("" if s.cloud else " (on Server only sub-tasks have a parent)") + ".")
    if parent.project_id != issue.project_id and child_level < 0:
        raise ValueError("A sub-task must be in the same project as its parent.")
    return parent.id


def _custom(s: JiraState, issue: Issue, cf: CustomField, value: Any) -> Any:
    if value is None:
        return None
    if cf.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Operation value must be a number")
        return float(value)
    if cf.kind == "string":
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")
        if len(value) > 255:
            raise ValueError("Text fields take at most 255 characters.")
        return value
    if cf.kind == "datetime":
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"Invalid date format. Please enter the date in the format \"{value}\"") from None
        if when.tzinfo is None:
            raise ValueError("A date-time needs an offset, e.g. 2026-11-24T10:15:30.000+0000.")
        return when
    choices = [o for c in cf.contexts if not c.project_ids or issue.project_id in c.project_ids
               for o in c.options if not o.get("disabled")]
    wanted = value if cf.kind == "checkbox" else [value]
    if cf.kind == "checkbox" and not isinstance(value, list):
        raise ValueError("Operation value must be a list of options")
    chosen = []
    for ref in wanted:
        option = _option(choices, ref)
        chosen.append(dict(option))
    return chosen if cf.kind == "checkbox" else chosen[0]


def _option(choices: list[dict[str, Any]], ref: Any) -> dict[str, Any]:
    if isinstance(ref, dict) and "id" in ref:
        found = next((o for o in choices if o["id"] == str(ref["id"])), None)
        if found is None:
            raise ValueError(f"Option id '{ref['id']}' is not valid")
        return found
    if isinstance(ref, dict) and "value" in ref:
        found = next((o for o in choices if o["value"] == ref["value"]), None)
        if found is None:
            raise ValueError(f"Option value '{ref['value']}' is not valid")
        return found
    raise ValueError("Specify a valid option as {\"value\": \"...\"} or {\"id\": \"...\"}")


def _set(s: JiraState, issue: Issue, fid: str, value: Any) -> dict[str, str | None] | None:
    """Store ``value`` and describe the change (None if nothing changed)."""
    if fid == "priority":
        return None
    if fid.startswith("customfield_"):
        cf = s.custom_field(fid)
        assert cf is not None
        old = issue.custom.get(fid)
        if old == value:
            return None
        issue.custom[fid] = value
        return _item(cf.name, "custom", fid, _option_ids(old), _text(old), _option_ids(value), _text(value))
    attr = {"parent": "parent_id"}.get(fid, fid)
    old = getattr(issue, attr)
    if old == value:
        return None
    setattr(issue, attr, value)
    if fid == "labels":
        return _item("labels", "jira", fid, None, " ".join(old), None, " ".join(value))
    if fid in ("assignee", "reporter"):
        return _item(fid, "jira", fid, *_user_strings(s, old), *_user_strings(s, value))
    if fid == "parent":
        return _item("IssueParentAssociation", "jira", fid, old, _key(s, old), value, _key(s, value))
    return _item(fid, "jira", fid, None, _text(old), None, _text(value))


def _item(field: str, kind: str, fid: str, frm: str | None, frm_s: str | None,
          to: str | None, to_s: str | None) -> dict[str, str | None]:
    return {"field": field, "fieldtype": kind, "fieldId": fid, "from": frm, "fromString": frm_s,
            "to": to, "toString": to_s}


def _user_strings(s: JiraState, name: str | None) -> tuple[str | None, str | None]:
    user = s.user(name)
    if user is None:
        return None, None
    return (user.account_id if s.cloud else user.name), user.display_name


def _key(s: JiraState, issue_id: str | None) -> str | None:
    return s.issues[issue_id].key if issue_id in s.issues else None


def _option_ids(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value["id"])
    if isinstance(value, list):
        return ",".join(str(o["id"]) for o in value) or None
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value["value"])
    if isinstance(value, list):
        return ",".join(str(o["value"]) for o in value) or None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
