"""The issue JSON of the Jira emulator, honouring ``fields=`` and ``expand=`` like Jira does.

``fields`` is a list of field ids (repeated parameter or comma-separated) with ``*all``, ``*navigable``
and ``-id`` exclusions; unknown ids are ignored, as Jira ignores them. ``comment`` is not navigable,
so searches (default ``*navigable``) leave it out while ``GET /issue`` (default ``*all``) has it.
"""

from __future__ import annotations

from typing import Any

from okr_sync.sandbox.jira_model import Issue, JiraState
from okr_sync.sandbox.jira_render import ALL_SYSTEM, ISSUE_EXPAND, NAVIGABLE, SYSTEM_FIELDS, Renderer


def parse_field_list(values: list[str] | str | None) -> list[str]:
    """Flatten ``fields`` given as a list, a comma-separated string, or repeated parameters."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def wanted_fields(state: JiraState, requested: list[str], default: str) -> set[str]:
    """The set of field ids to render for a ``fields`` request (``default`` when none given)."""
    custom = {f.id for f in state.fields}
    names = requested or [default]
    chosen: set[str] = set()
    for name in names:
        if name == "*all":
            chosen |= ALL_SYSTEM | custom
        elif name == "*navigable":
            chosen |= NAVIGABLE | custom
        elif not name.startswith("-"):
            cf = state.custom_field(name) if name.startswith("customfield_") else None
            chosen.add(cf.id if cf else name)
    for name in names:
        if name.startswith("-"):
            chosen.discard(name[1:])
    return chosen & (ALL_SYSTEM | custom)


def render_issue(r: Renderer, issue: Issue, wanted: set[str], expand: set[str]) -> dict[str, Any]:
    """The issue with only ``wanted`` fields, plus ``names`` / ``changelog`` when expanded."""
    out: dict[str, Any] = {"expand": ISSUE_EXPAND, "id": issue.id, "self": r.url(f"issue/{issue.id}"),
                           "key": issue.key}
    if wanted:
        values = _field_values(r, issue, wanted)
        out["fields"] = {k: v for k, v in values.items() if k in wanted}
    if "names" in expand:
        names = {f[0]: f[1] for f in SYSTEM_FIELDS}
        names.update({f.id: f.name for f in r.state.fields})
        out["names"] = {k: v for k, v in names.items() if k in wanted}
    if "changelog" in expand:
        histories = [r.history(h) for h in issue.histories]
        out["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                            "histories": histories}
    return out


def _field_values(r: Renderer, issue: Issue, wanted: set[str]) -> dict[str, Any]:
    s = r.state
    status = s.status(issue.status_id)
    values: dict[str, Any] = {
        "summary": issue.summary,
        "description": r.text(issue.description),
        "project": r.project_ref(s.project_by_id(issue.project_id)),
        "issuetype": r.issue_type(s.issue_type(issue.type_id)),
        "status": r.status(status),
        "labels": list(issue.labels),
        "assignee": r.user(s.user(issue.assignee)),
        "reporter": r.user(s.user(issue.reporter)),
        "creator": r.user(s.user(issue.reporter)),
        "priority": r.priority(),
        "duedate": issue.duedate.isoformat() if issue.duedate else None,
        "created": r.time(issue.created),
        "updated": r.time(issue.updated),
        "resolution": r.resolution(s.resolution(issue.resolution_id) if issue.resolution_id else None),
        "resolutiondate": r.time(issue.resolutiondate),
        "statuscategorychangedate": r.time(issue.status_changed or issue.created),
        "subtasks": [r.issue_ref(child) for child in s.subtasks(issue)],
        "issuelinks": [r.issue_link(link, issue) for link in s.links_of(issue)],
    }
    if issue.parent_id is not None:
        values["parent"] = r.issue_ref(s.issues[issue.parent_id])
    if "comment" in wanted:
        comments = [r.comment(issue, c) for c in issue.comments]
        values["comment"] = {"comments": comments, "self": r.url(f"issue/{issue.id}/comment"),
                             "maxResults": len(comments), "total": len(comments), "startAt": 0}
    for f in s.fields:
        values[f.id] = r.custom_value(f, issue.custom.get(f.id))
    return values
