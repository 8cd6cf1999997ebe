"""GitLab issue, note and issue-link endpoints of the emulator (REST v4).

Handlers take a :class:`~sandbox.gitlab_http.Call` plus the URL's parameters and return
``(status, body, headers)``; they raise :class:`~sandbox.gitlab_http.GitLabError` for GitLab's
error answers. Writes stamp ``updated_at`` with ``clock.tick()`` whenever something changed (a PUT that
changes nothing leaves the issue untouched, as Rails does); a new or edited note touches its issue.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from sandbox.gitlab_http import Call, GitLabError, Reply
from sandbox.gitlab_query import BadParameter, filter_issues, order_rows
from sandbox.gitlab_store import Issue, IssueLink, Note, Project, gitlab_time

LINK_TYPES = ("relates_to", "blocks", "is_blocked_by")
_UPDATE_KEYS = ("assignee_id", "assignee_ids", "confidential", "description", "discussion_locked",
                "due_date", "labels", "add_labels", "remove_labels", "milestone_id", "state_event",
                "title", "weight")


def _issue(call: Call, project: Project, issue_iid: str) -> Issue:
    issue = call.state.find_issue(project, int(issue_iid)) if issue_iid.isdigit() else None
    if issue is None:
        raise GitLabError(404, {"message": "404 Issue Not Found"})
    return issue


def list_project_issues(call: Call, id: str) -> Reply:
    """``GET /projects/:id/issues``."""
    project = call.project(id)
    issues = filter_issues(call.state, (i for i in call.state.issues.values() if i.project_id == project.id),
                           call.params)
    return call.page([call.state.issue_json(i, call.base) for i in issues])


def list_group_issues(call: Call, id: str) -> Reply:
    """``GET /groups/:id/issues`` — issues of every project in the group and its subgroups."""
    groups = call.state.group_and_descendants(call.group(id))
    projects = {p.id for p in call.state.projects.values() if p.group_id in groups}
    issues = filter_issues(call.state, (i for i in call.state.issues.values() if i.project_id in projects),
                           call.params)
    return call.page([call.state.issue_json(i, call.base) for i in issues])


def get_issue(call: Call, id: str, issue_iid: str) -> Reply:
    """``GET /projects/:id/issues/:issue_iid``."""
    return 200, call.state.issue_json(_issue(call, call.project(id), issue_iid), call.base), {}


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
    issue = _issue(call, project, issue_iid)
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
    issue = _issue(call, call.project(id), issue_iid)
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
    issue = _issue(call, call.project(id), issue_iid)
    order_by = call.params.choice("order_by", ("created_at", "updated_at"), "created_at")
    sort = call.params.choice("sort", ("asc", "desc"), "desc")
    notes = order_rows([n for n in call.state.notes.values() if n.issue_id == issue.id], order_by, sort)
    return call.page([call.state.note_json(n, call.base) for n in notes])


def get_note(call: Call, id: str, issue_iid: str, note_id: str) -> Reply:
    """``GET …/notes/:note_id``."""
    note = _note(call, _issue(call, call.project(id), issue_iid), note_id)
    return 200, call.state.note_json(note, call.base), {}


def create_note(call: Call, id: str, issue_iid: str) -> Reply:
    """``POST …/issues/:issue_iid/notes`` → 201; touches the issue's ``updated_at``."""
    issue = _issue(call, call.project(id), issue_iid)
    note = _add_note(call, issue, _note_body(call), system=False)
    return 201, call.state.note_json(note, call.base), {}


def update_note(call: Call, id: str, issue_iid: str, note_id: str) -> Reply:
    """``PUT …/notes/:note_id`` → 200; only the author may edit, system notes never."""
    issue = _issue(call, call.project(id), issue_iid)
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
    issue = _issue(call, call.project(id), issue_iid)
    note = _note(call, issue, note_id)
    if note.author_id != call.user.id:
        raise GitLabError(403, {"message": "403 Forbidden"})
    del call.state.notes[note.id]
    issue.updated_at = call.clock.tick()
    return 204, None, {}


# -- issue links --------------------------------------------------------------------------------


def list_links(call: Call, id: str, issue_iid: str) -> Reply:
    """``GET …/issues/:issue_iid/links`` — the linked issues with link metadata (not paginated)."""
    issue = _issue(call, call.project(id), issue_iid)
    rows = []
    for link in sorted(call.state.links.values(), key=lambda lk: lk.id):
        if issue.id not in (link.source_id, link.target_id):
            continue
        outward = link.source_id == issue.id
        other = call.state.issues[link.target_id if outward else link.source_id]
        link_type = link.link_type if outward else _inverse(link.link_type)
        rows.append({**call.state.issue_json(other, call.base), "issue_link_id": link.id,
                     "link_type": link_type, "link_created_at": _time(link),
                     "link_updated_at": _time(link)})
    return 200, rows, {}


def _inverse(link_type: str) -> str:
    return {"blocks": "is_blocked_by", "is_blocked_by": "blocks"}.get(link_type, link_type)


def _time(link: IssueLink) -> str | None:
    return gitlab_time(link.created_at)


def create_link(call: Call, id: str, issue_iid: str) -> Reply:
    """``POST …/issues/:issue_iid/links`` → 201 ``{source_issue, target_issue, link_type}``."""
    source = _issue(call, call.project(id), issue_iid)
    target_project = call.params.text("target_project_id")
    target_iid = call.params.text("target_issue_iid")
    if target_project is None or target_iid is None:
        missing = [k for k, v in (("target_project_id", target_project), ("target_issue_iid", target_iid))
                   if v is None]
        raise GitLabError(400, {"error": ", ".join(missing) + " is missing"})
    link_type = call.params.choice("link_type", LINK_TYPES, "relates_to")
    project = call.state.find_project(target_project)
    target = call.state.find_issue(project, int(target_iid)) if project and target_iid.isdigit() else None
    if target is None:
        raise GitLabError(404, {"message": "No matching issue found. Make sure that you are adding a valid "
                                           "issue URL."})
    if target.id == source.id:
        raise GitLabError(422, {"message": "Source cannot be related to itself."})
    if any({lk.source_id, lk.target_id} == {source.id, target.id} for lk in call.state.links.values()):
        raise GitLabError(409, {"message": "Issue(s) already assigned"})
    link = IssueLink(call.state.next_id("link"), source.id, target.id, link_type, call.clock.tick())
    call.state.links[link.id] = link
    body = {"source_issue": call.state.issue_json(source, call.base),
            "target_issue": call.state.issue_json(target, call.base), "link_type": link_type}
    return 201, body, {}


def delete_link(call: Call, id: str, issue_iid: str, issue_link_id: str) -> Reply:
    """``DELETE …/links/:issue_link_id`` → 200 with the removed link."""
    issue = _issue(call, call.project(id), issue_iid)
    link = call.state.links.get(int(issue_link_id)) if issue_link_id.isdigit() else None
    if link is None or issue.id not in (link.source_id, link.target_id):
        raise GitLabError(404, {"message": "404 Not found"})
    del call.state.links[link.id]
    body = {"source_issue": call.state.issue_json(call.state.issues[link.source_id], call.base),
            "target_issue": call.state.issue_json(call.state.issues[link.target_id], call.base),
            "link_type": link.link_type}
    return 200, body, {}
