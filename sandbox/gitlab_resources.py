"""GitLab instance, user, group, project, label and milestone endpoints of the emulator (REST v4)."""

from __future__ import annotations

import re

from okr_sync.sandbox.gitlab_http import Call, GitLabError, Reply
from okr_sync.sandbox.gitlab_members import permissions
from okr_sync.sandbox.gitlab_store import Label, Milestone, Project

GITLAB_VERSION = "17.5.1-ee"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_PATH = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$")


def version(call: Call) -> Reply:
    """``GET /version``."""
    return 200, {"version": GITLAB_VERSION, "revision": "sandbox", "enterprise": True}, {}


def current_user(call: Call) -> Reply:
    """``GET /user`` — the token's owner, with the private fields GitLab adds for oneself."""
    user = call.user
    body = {**call.state.user_json(user, call.base), "email": user.email, "public_email": None,
            "is_admin": False, "bot": False, "can_create_group": not user.read_only,
            "can_create_project": not user.read_only}
    return 200, body, {}


def list_users(call: Call) -> Reply:
    """``GET /users`` (``username=`` or ``search=`` filter)."""
    username = call.params.text("username")
    search = (call.params.text("search") or "").lower()
    users = [u for u in sorted(call.state.users.values(), key=lambda u: u.id, reverse=True)
             if (username is None or u.username.lower() == username.lower())
             and (not search or search in u.username.lower() or search in u.name.lower())]
    return call.page(list(users), lambda u: call.state.user_json(u, call.base))


def get_user(call: Call, user_id: str) -> Reply:
    """``GET /users/:id``."""
    user = call.state.users.get(int(user_id)) if user_id.isdigit() else None
    if user is None:
        raise GitLabError(404, {"message": "404 User Not Found"})
    return 200, call.state.user_json(user, call.base), {}


def list_groups(call: Call) -> Reply:
    """``GET /groups``."""
    search = (call.params.text("search") or "").lower()
    groups = [g for g in call.state.groups.values() if search in call.state.group_full_path(g).lower()]
    return call.page(list(groups), lambda g: call.state.group_json(g, call.base))


def get_group(call: Call, id: str) -> Reply:
    """``GET /groups/:id`` (id or URL-encoded full path)."""
    return 200, call.state.group_json(call.group(id), call.base), {}


def list_subgroups(call: Call, id: str) -> Reply:
    """``GET /groups/:id/subgroups`` — direct children."""
    parent = call.group(id)
    children = [g for g in call.state.groups.values() if g.parent_id == parent.id]
    return call.page(list(children), lambda g: call.state.group_json(g, call.base))


def list_group_projects(call: Call, id: str) -> Reply:
    """``GET /groups/:id/projects`` (``include_subgroups=true`` adds descendants' projects)."""
    group = call.group(id)
    include = str(call.params.get("include_subgroups", "false")).lower() == "true"
    groups = call.state.group_and_descendants(group) if include else {group.id}
    projects = [p for p in call.state.projects.values() if p.group_id in groups]
    return call.page(list(projects), lambda p: call.state.project_json(p, call.base))


def list_projects(call: Call) -> Reply:
    """``GET /projects``."""
    search = (call.params.text("search") or "").lower()
    projects = [p for p in call.state.projects.values() if search in call.state.project_full_path(p).lower()]
    return call.page(list(projects), lambda p: call.state.project_json(p, call.base))


def get_project(call: Call, id: str) -> Reply:
    """``GET /projects/:id`` (id or URL-encoded ``group/project``) with the requesting user's ``permissions``."""
    project = call.project(id)
    return 200, {**call.state.project_json(project, call.base),
                 "permissions": permissions(call.state, project, call.user)}, {}


def create_project(call: Call) -> Reply:
    """``POST /projects`` → 201; needs ``name`` or ``path`` and a group ``namespace_id``."""
    name, path = call.params.text("name"), call.params.text("path")
    if not name and not path:
        raise GitLabError(400, {"error": "name, path are missing, at least one parameter must be provided"})
    path = path or re.sub(r"[^a-zA-Z0-9_.-]+", "-", str(name)).strip("-").lower()
    if not _PATH.match(path):
        raise GitLabError(400, {"message": {"path": ["can contain only letters, digits, '_', '-' and '.'"]}})
    namespace = call.params.text("namespace_id")
    if namespace is None:
        raise GitLabError(400, {"error": "namespace_id is missing (the sandbox has no personal namespaces; "
                                         "give a group id or path)"})
    group = call.state.find_group(namespace)
    if group is None:
        raise GitLabError(404, {"message": "404 Namespace Not Found"})
    taken = [p for p in call.state.projects.values() if p.group_id == group.id and p.path == path]
    if taken:
        raise GitLabError(400, {"message": {"name": ["has already been taken"], "path": ["has already been taken"]}})
    project = Project(call.state.next_id("project"), name or path, path, group.id, call.clock.tick(),
                      call.params.text("description") or "")
    call.state.projects[project.id] = project
    return 201, call.state.project_json(project, call.base), {}


def list_labels(call: Call, id: str) -> Reply:
    """``GET /projects/:id/labels`` (``search``: a case-insensitive part of the name or description)."""
    project = call.project(id)
    search = (call.params.text("search") or "").lower()
    labels = sorted((lb for lb in project.labels.values()
                     if search in lb.name.lower() or search in (lb.description or "").lower()),
                    key=lambda lb: lb.name.lower())
    return call.page(list(labels), lambda lb: call.state.label_json(project, lb))


def create_label(call: Call, id: str) -> Reply:
    """``POST /projects/:id/labels`` → 201; 409 when the name exists."""
    project = call.project(id)
    name, color = call.params.text("name"), call.params.text("color")
    missing = [k for k, v in (("name", name), ("color", color)) if not v]
    if missing:
        raise GitLabError(400, {"error": ", ".join(missing) + " is missing"})
    assert name is not None and color is not None
    if not _COLOR.match(color):
        raise GitLabError(400, {"message": {"color": ["must be a valid color code"]}})
    if name in project.labels:
        raise GitLabError(409, {"message": "Label already exists"})
    label = Label(call.state.next_id("label"), name, color, call.params.text("description"))
    project.labels[name] = label
    return 201, call.state.label_json(project, label), {}


def update_label(call: Call, id: str, label_id: str) -> Reply:
    """``PUT /projects/:id/labels/:label_id`` (id or name) → 200; ``color``, ``description``, ``new_name``."""
    project = call.project(id)
    label = next((lb for lb in project.labels.values() if str(lb.id) == label_id or lb.name == label_id), None)
    if label is None:
        raise GitLabError(404, {"message": "404 Label Not Found"})
    color, new_name = call.params.text("color"), call.params.text("new_name")
    if color is None and new_name is None and "description" not in call.params:
        raise GitLabError(400, {"error": "new_name, color, description, priority are missing, "
                                         "at least one parameter must be provided"})
    if color is not None and not _COLOR.match(color):
        raise GitLabError(400, {"message": {"color": ["must be a valid color code"]}})
    if new_name and new_name != label.name:
        if new_name in project.labels:
            raise GitLabError(409, {"message": "Label already exists"})
        del project.labels[label.name]
        label.name = new_name
        project.labels[new_name] = label
    if color is not None:
        label.color = color
    if "description" in call.params:
        label.description = call.params.text("description")
    return 200, call.state.label_json(project, label), {}


def list_milestones(call: Call, id: str) -> Reply:
    """``GET /projects/:id/milestones``."""
    project = call.project(id)
    return call.page(list(project.milestones.values()), lambda m: call.state.milestone_json(m, call.base))


def create_milestone(call: Call, id: str) -> Reply:
    """``POST /projects/:id/milestones`` → 201."""
    project = call.project(id)
    title = call.params.text("title")
    if not title:
        raise GitLabError(400, {"error": "title is missing"})
    if any(m.title == title for m in project.milestones.values()):
        raise GitLabError(400, {"message": "Failed to create milestone! Title has already been taken"})
    milestone = Milestone(call.state.next_id("milestone"), len(project.milestones) + 1, project.id, title,
                          call.params.text("due_date"))
    project.milestones[milestone.id] = milestone
    return 201, call.state.milestone_json(milestone, call.base), {}
