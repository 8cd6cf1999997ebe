"""Loading the ``gitlab`` section of a sandbox fixture into a :class:`GitLabState`.

Format (every key optional; ``None`` — the ``empty`` fixture — gives the default users, group ``okr``
and project ``okr/work``)::

    users:                       # default: okr-bot / sandbox-gitlab-token, viewer / sandbox-gitlab-readonly
      - {username: okr-bot, name: OKR Bot, email: okr-bot@example.org, token: sandbox-gitlab-token}
      - {username: viewer, token: sandbox-gitlab-readonly, read_only: true}
      # optional per user: scopes: [api] (default; [read_api] when read_only), token_expires_at: "2027-06-30"
    groups:                      # default: [{path: okr}]; a path with "/" is a subgroup of its parent
      - {path: okr, name: OKR, members: {okr-bot: developer, viewer: reporter}}
    projects:                    # default: [{path: okr/work}]; path = group full path + "/" + project
      - path: okr/work
        name: Work
        members: {someone: 40}   # direct project members: username → role name or access level
        labels: ["kr::KR-1", {name: "status::blocked", color: "#cc0000", description: "..."}]
        milestones: [{title: "2026-Q4", due_date: "2026-12-31"}]
    issues:
      - project: okr/work        # iids are given in order per project unless ``iid`` is set
        title: Draft the permit checklist
        description: "..."
        labels: ["kr::KR-1"]     # unknown labels are created on the project, as GitLab does
        state: opened            # or closed (closed_at defaults to updated_at)
        author: okr-bot          # default: the first user
        assignees: [okr-bot]
        due_date: "2026-11-30"
        weight: 3
        milestone: "2026-Q4"
        created_at: "2026-10-05T09:00:00Z"   # default: the sandbox clock
        updated_at: "2026-10-06T09:00:00Z"   # default: created_at
        notes: [{body: "Started", author: viewer, created_at: "...", system: false}]
    links:
      - {source: "okr/work#1", target: "okr/work#2", link_type: relates_to}

A top-level group that lists no ``members`` has every user as a member: Developer, or Reporter for a
``read_only`` user (so ``/members/all`` and ``permissions`` answer as on an instance where okr-sync's
account was added to the group).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.gitlab_model import ROLE_LEVELS
from okr_sync.sandbox.gitlab_store import GitLabState, Group, Issue, IssueLink, Label, Milestone, Note, Project, User

DEFAULT_USERS: list[dict[str, Any]] = [
    {"username": "okr-bot", "name": "OKR Bot", "email": "okr-bot@example.org", "token": "sandbox-gitlab-token"},
    {
        "username": "viewer",
        "name": "Read-only Viewer",
        "email": "viewer@example.org",
        "token": "sandbox-gitlab-readonly",
        "read_only": True,
    },
]


class GitLabFixtureError(ValueError):
    """The fixture's ``gitlab`` section is malformed; the message names the entry and the fix."""


def _parse_time(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise GitLabFixtureError(f"gitlab fixture {where}: {value!r} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_gitlab_fixture(state: GitLabState, clock: SandboxClock, fixture: dict[str, Any] | None) -> None:
    """Fill ``state`` from a fixture section (see module docstring); ``None`` means the empty fixture."""
    fixture = fixture or {}
    for entry in fixture.get("users") or DEFAULT_USERS:
        uid = int(entry.get("id") or state.next_id("user"))
        state.bump_ids("user", uid)
        state.users[uid] = User(
            id=uid,
            username=entry["username"],
            name=entry.get("name", entry["username"]),
            email=entry.get("email", f"{entry['username']}@example.org"),
            token=entry["token"],
            read_only=bool(entry.get("read_only", False)),
            scopes=[str(s) for s in entry.get("scopes") or
                    (["read_api"] if entry.get("read_only") else ["api"])],
            token_expires_at=str(entry["token_expires_at"]) if entry.get("token_expires_at") else None,
        )
    for entry in fixture.get("groups") or [{"path": "okr", "name": "okr"}]:
        parent_path, _, path = str(entry["path"]).rpartition("/")
        parent = state.find_group(parent_path) if parent_path else None
        if parent_path and parent is None:
            raise GitLabFixtureError(f"gitlab fixture group {entry['path']!r}: list its parent group first")
        gid = int(entry.get("id") or state.next_id("group"))
        state.bump_ids("group", gid)
        state.groups[gid] = Group(gid, path, entry.get("name", path), parent.id if parent else None,
                                  entry.get("description", ""))
        if "members" in entry:
            state.groups[gid].members = _members(state, entry["members"], f"group {entry['path']!r}")
        elif parent is None:
            state.groups[gid].members = {u.id: ROLE_LEVELS["reporter" if u.read_only else "developer"]
                                         for u in state.users.values()}
    for entry in fixture.get("projects") or [{"path": "okr/work", "name": "work"}]:
        _load_project(state, clock, entry)
    for index, entry in enumerate(fixture.get("issues") or []):
        _load_issue(state, clock, entry, f"issues[{index}]")
    for index, entry in enumerate(fixture.get("links") or []):
        source, target = (_issue_ref(state, entry[k], f"links[{index}].{k}") for k in ("source", "target"))
        lid = state.next_id("link")
        state.links[lid] = IssueLink(lid, source.id, target.id, entry.get("link_type", "relates_to"),
                                     max(source.created_at, target.created_at))


def _load_project(state: GitLabState, clock: SandboxClock, entry: dict[str, Any]) -> None:
    group_path, _, path = str(entry["path"]).rpartition("/")
    group = state.find_group(group_path)
    if group is None:
        raise GitLabFixtureError(f"gitlab fixture project {entry['path']!r}: group {group_path!r} is not listed")
    pid = int(entry.get("id") or state.next_id("project"))
    state.bump_ids("project", pid)
    project = Project(pid, entry.get("name", path), path, group.id, clock.now(), entry.get("description", ""))
    for label in entry.get("labels") or []:
        spec = {"name": label} if isinstance(label, str) else label
        project.labels[spec["name"]] = Label(state.next_id("label"), spec["name"],
                                             spec.get("color", "#6699cc"), spec.get("description"))
    for number, ms in enumerate(entry.get("milestones") or [], start=1):
        mid = state.next_id("milestone")
        project.milestones[mid] = Milestone(mid, number, pid, ms["title"], ms.get("due_date"))
    project.members = _members(state, entry.get("members") or {}, f"project {entry['path']!r}")
    state.projects[pid] = project


def _members(state: GitLabState, given: Any, where: str) -> dict[int, int]:
    """``{username: role name or access level}`` (or a list of ``{user, access_level}``) → user id → level."""
    pairs = given.items() if isinstance(given, dict) else \
        ((m.get("user"), m.get("access_level")) for m in given if isinstance(m, dict))
    members = {}
    for username, level in pairs:
        user = state.find_user(str(username))
        number = ROLE_LEVELS.get(str(level).lower()) if not isinstance(level, int) else level
        if user is None or number is None:
            raise GitLabFixtureError(f"gitlab fixture {where} members: {username!r}: {level!r} needs a listed "
                                     f"username and a role ({', '.join(ROLE_LEVELS)}) or access level")
        members[user.id] = number
    return members


def _issue_ref(state: GitLabState, ref: str, where: str) -> Issue:
    path, _, iid = str(ref).rpartition("#")
    project = state.find_project(path)
    issue = state.find_issue(project, int(iid)) if project and iid.isdigit() else None
    if issue is None:
        raise GitLabFixtureError(f"gitlab fixture {where}: no issue {ref!r} (write it as 'group/project#iid')")
    return issue


def _load_issue(state: GitLabState, clock: SandboxClock, entry: dict[str, Any], where: str) -> None:
    project = state.find_project(str(entry.get("project", "okr/work")))
    if project is None:
        raise GitLabFixtureError(f"gitlab fixture {where}: project {entry.get('project')!r} is not listed")

    def user_id(username: str) -> int:
        user = state.find_user(username)
        if user is None:
            raise GitLabFixtureError(f"gitlab fixture {where}: user {username!r} is not listed under users")
        return user.id

    created = _parse_time(entry["created_at"], where) if "created_at" in entry else clock.now()
    updated = _parse_time(entry["updated_at"], where) if "updated_at" in entry else created
    iid = int(entry.get("iid") or project.next_iid)
    project.next_iid = max(project.next_iid, iid + 1)
    milestone = next((m.id for m in project.milestones.values() if m.title == entry.get("milestone")), None)
    author = user_id(entry["author"]) if "author" in entry else min(state.users)
    issue = Issue(
        id=state.next_id("issue"), iid=iid, project_id=project.id, title=str(entry["title"]),
        author_id=author, created_at=created, updated_at=updated,
        description=entry.get("description"), state=entry.get("state", "opened"),
        labels=sorted(set(entry.get("labels") or [])),
        assignee_ids=[user_id(u) for u in entry.get("assignees") or []],
        due_date=str(entry["due_date"]) if entry.get("due_date") else None,
        weight=entry.get("weight"), milestone_id=milestone,
    )
    if issue.state == "closed":
        issue.closed_at = _parse_time(entry["closed_at"], where) if "closed_at" in entry else updated
        issue.closed_by_id = author
    for name in issue.labels:
        state.ensure_label(project, name)
    state.issues[issue.id] = issue
    for note in entry.get("notes") or []:
        stamp = _parse_time(note["created_at"], where) if "created_at" in note else updated
        nid = state.next_id("note")
        state.notes[nid] = Note(nid, issue.id, str(note["body"]),
                                user_id(note["author"]) if "author" in note else author,
                                stamp, stamp, bool(note.get("system", False)))
