"""GitLab issue and note endpoints of the emulator (REST v4).

Handlers take a :class:`~sandbox.gitlab_http.Call` plus the URL's parameters and return
``(status, body, headers)``; they raise :class:`~sandbox.gitlab_http.GitLabError` for GitLab's
error answers. Writes stamp ``updated_at`` with ``clock.tick()`` whenever something changed (a PUT that
changes nothing leaves the issue untouched, as Rails does); a new or edited note touches its issue.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from okr_sync.sandbox.gitlab_http import Call, GitLabError, Reply
from okr_sync.sandbox.gitlab_query import BadParameter, filter_issues, order_rows
from okr_sync.sandbox.gitlab_store import Issue, Note, Project

_UPDATE_KEYS = ("assignee_id", "assignee_ids", "confidential", "description", "discussion_locked",
                "due_date", "labels", "add_labels", "remove_labels", "milestone_id", "state_event",
                "title", "weight")


def find_issue(call: Call, project: Project, issue_iid: str) -> Issue:
    """The project's issue with that iid; 404 ``Issue Not Found`` otherwise."""
    issue = call.state.find_issue(project, int(issue_iid)) if issue_iid.isdigit() else None
    if issue is None:
        raise GitLabError(404, {"message": "404 Issue Not Found"})
    return issue


def list_project_issues(call: Call, id: str) -> Reply:
    """``GET /projects/:id/issues``."""
    project = call.project(id)
    issues = filter_issues(call.state, (i for i in call.state.issues.values() if i.project_id == project.id),
                           call.params)
    return call.page(list(issues), lambda i: call.state.issue_json(i, call.base))


def list_group_issues(call: Call, id: str) -> Reply:
    """``GET /groups/:id/issues`` — issues of every project in the group and its subgroups."""
    groups = call.state.group_and_descendants(call.group(id))
    projects = {p.id for p in call.state.projects.values() if p.group_id in groups}
    issues = filter_issues(call.state, (i for i in call.state.issues.values() if i.project_id in projects),
                           call.params)
    return call.page(list(issues), lambda i: call.state.issue_json(i, call.base))


def get_issue(call: Call, id: str, issue_iid: str) -> Reply:
    """``GET /projects/:id/issues/:issue_iid``."""
    return 200, call.state.issue_json(find_issue(call, call.project(id), issue_iid), call.base), {}


def create_issue(call: Call, id: str) -> Reply:
    """``POST /projects/:id/issues`` → 201 with the issue."""
    project = call.project(id)
    title = call.params.text("title")
    if title is None:
        raise GitLabError(400, {"error": "title is missing"})
    now = call.clock.tick()
    issue = Issue(id=0, iid=project.next_iid, project_id=project.id, title="",
                  author_id=call.user.id, created_at=now, updated_at=now)
    _apply_fields(call, project, issue)
    issue.id = call.state.next_id("issue")
    project.next_iid += 1
    call.state.issues[issue.id] = issue
    return 201, call.state.issue_json(issue, call.base), {}


def update_issue(call: Call, id: str, issue_iid: str) -> Reply:
    """``PUT /projects/:id/issues/:issue_iid`` → 200 with the whole issue."""
    project = call.project(id)
    issue = find_issue(call, project, issue_iid)
    if not any(key in call.params for key in _UPDATE_KEYS):
        raise GitLabError(400, {"error": ", ".join(_UPDATE_KEYS)
                                + " are missing, at least one parameter must be provided"})
    event = call.params.text("state_event")
    if event not in (None, "close", "reopen"):
        raise GitLabError(400, {"error": "state_event does not have a valid value"})
    before = call.state.issue_json(issue, call.base)
    draft = copy.copy(issue)
    _apply_fields(call, project, draft)  # validates everything before the issue changes
    vars(issue).update(vars(draft))
    now = None
    if event == "close" and issue.state == "opened":
        now = call.clock.tick()
        issue.state, issue.closed_at, issue.closed_by_id = "closed", now, call.user.id
        _add_note(call, issue, "closed", system=True, when=now)
    elif event == "reopen" and issue.state == "closed":
        now = call.clock.tick()
        issue.state, issue.closed_at, issue.closed_by_id = "opened", None, None
        _add_note(call, issue, "reopened", system=True, when=now)
    if now is not None or call.state.issue_json(issue, call.base) != before:
        issue.updated_at = now or call.clock.tick()
    return 200, call.state.issue_json(issue, call.base), {}


def delete_issue(call: Call, id: str, issue_iid: str) -> Reply:
    """``DELETE /projects/:id/issues/:issue_iid`` → 204."""
    issue = find_issue(call, call.project(id), issue_iid)
    del call.state.issues[issue.id]
    for note_id in [n.id for n in call.state.notes.values() if n.issue_id == issue.id]:
        del call.state.notes[note_id]
    for link_id in [lk.id for lk in call.state.links.values() if issue.id in (lk.source_id, lk.target_id)]:
        del call.state.links[link_id]
    return 204, None, {}


def _apply_fields(call: Call, project: Project, issue: Issue) -> None:
    """Validate and apply the writable issue attributes present in the request."""
    params = call.params
    title = params.text("title")
    if "title" in params:
        if not title or not title.strip():
            raise GitLabError(400, {"message": {"title": ["can't be blank"]}})
        if len(title) > 255:
            raise GitLabError(400, {"message": {"title": ["is too long (maximum is 255 characters)"]}})
        issue.title = title
    if "description" in params:
        issue.description = params.text("description")
    if "confidential" in params:
        issue.confidential = str(params.get("confidential")).lower() in ("true", "1")
    _apply_labels(call, project, issue)
    if "weight" in params:
        weight = params.integer("weight")
        if weight is not None and weight < 0:
            raise GitLabError(400, {"message": {"weight": ["must be greater than or equal to 0"]}})
        issue.weight = weight
    if "due_date" in params:
        due = params.text("due_date") or None
        if due is not None:
            try:
                due = date.fromisoformat(due).isoformat()
            except ValueError:
                raise BadParameter("due_date is invalid") from None
        issue.due_date = due
    if "assignee_ids" in params or "assignee_id" in params:
        raw = params.names("assignee_ids") if "assignee_ids" in params else params.names("assignee_id")
        try:
            wanted = [int(v) for v in raw or []]
        except ValueError:
            raise BadParameter("assignee_ids is invalid") from None
        issue.assignee_ids = [u for u in dict.fromkeys(wanted) if u in call.state.users]
    if "milestone_id" in params:
        milestone = params.integer("milestone_id") or None
        if milestone is not None and milestone not in project.milestones:
            raise GitLabError(404, {"message": "404 Milestone Not Found"})
        issue.milestone_id = milestone


def _apply_labels(call: Call, project: Project, issue: Issue) -> None:
    params = call.params
    labels = list(issue.labels)
    added: list[str] = []
    if "labels" in params:
        labels = params.names("labels") or []
        added = labels
    for name in params.names("add_labels") or []:
        if name not in labels:
            labels.append(name)
            added.append(name)
    removed = set(params.names("remove_labels") or [])
    labels = [name for name in labels if name not in removed]
    if call.scoped_labels:
        for name in added:
            if "::" in name and name in labels:
                scope = name.rpartition("::")[0]
                labels = [n for n in labels if n == name or n.rpartition("::")[0] != scope or "::" not in n]
    for name in labels:
        call.state.ensure_label(project, name)
    issue.labels = sorted(dict.fromkeys(labels))


# -- notes --------------------------------------------------------------------------------------


def _add_note(call: Call, issue: Issue, body: str, *, system: bool, when: Any = None) -> Note:
    stamp = when or call.clock.tick()
    note = Note(call.state.next_id("note"), issue.id, body, call.user.id, stamp, stamp, system)
    call.state.notes[note.id] = note
    issue.updated_at = stamp
    return note


def _note(call: Call, issue: Issue, note_id: str) -> Note:
    note = call.state.notes.get(int(note_id)) if note_id.isdigit() else None
    if note is None or note.issue_id != issue.id:
        raise GitLabError(404, {"message": "404 Note Not Found"})
    return note


def _note_body(call: Call) -> str:
    body = call.params.text("body")
    if body is None:
        raise GitLabError(400, {"error": "body is missing"})
    if not body.strip():
        raise GitLabError(400, {"message": "400 Bad request - Note {:note=>[\"can't be blank\"]}"})
    if len(body) > 1_000_000:
        raise GitLabError(400, {"message": "400 Bad request - Note {:note=>[\"is too long (maximum is "
                                           "1000000 characters)\"]}"})
    return body


def list_notes(call: Call, id: str, issue_iid: str) -> Reply:
    """``GET …/issues/:issue_iid/notes`` (newest first unless ``sort=asc``), paginated."""
    issue = find_issue(call, call.project(id), issue_iid)
    order_by = call.params.choice("order_by", ("created_at", "updated_at"), "created_at")
    sort = call.params.choice("sort", ("asc", "desc"), "desc")
    notes = order_rows([n for n in call.state.notes.values() if n.issue_id == issue.id], order_by, sort)
    return call.page(list(notes), lambda n: call.state.note_json(n, call.base))


def get_note(call: Call, id: str, issue_iid: str, note_id: str) -> Reply:
    """``GET …/notes/:note_id``."""
    note = _note(call, find_issue(call, call.project(id), issue_iid), note_id)
    return 200, call.state.note_json(note, call.base), {}


def create_note(call: Call, id: str, issue_iid: str) -> Reply:
    """``POST …/issues/:issue_iid/notes`` → 201; touches the issue's ``updated_at``."""
    issue = find_issue(call, call.project(id), issue_iid)
    note = _add_note(call, issue, _note_body(call), system=False)
    return 201, call.state.note_json(note, call.base), {}


def update_note(call: Call, id: str, issue_iid: str, note_id: str) -> Reply:
    """``PUT …/notes/:note_id`` → 200; only the author may edit, system notes never."""
    issue = find_issue(call, call.project(id), issue_iid)
    note = _note(call, issue, note_id)
    body = _note_body(call)
    if note.system or note.author_id != call.user.id:
        raise GitLabError(403, {"message": "403 Forbidden"})
    if body != note.body:
        note.body = body
        note.updated_at = issue.updated_at = call.clock.tick()
    return 200, call.state.note_json(note, call.base), {}


def delete_note(call: Call, id: str, issue_iid: str, note_id: str) -> Reply:
    """``DELETE …/notes/:note_id`` → 204."""
    issue = find_issue(call, call.project(id), issue_iid)
    note = _note(call, issue, note_id)
    if note.author_id != call.user.id:
        raise GitLabError(403, {"message": "403 Forbidden"})
    del call.state.notes[note.id]
    issue.updated_at = call.clock.tick()
    return 204, None, {}
