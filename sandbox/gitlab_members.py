"""Who may do what in the GitLab emulator: members, the token's own details and project ``permissions``.

As GitLab answers them:

* ``GET /groups/:id/members`` and ``/projects/:id/members`` list direct members; ``…/members/all``
  adds the members inherited from ancestor groups (a project: its namespace group and that group's
  ancestors), each user once with their highest ``access_level``. Paged like every list; ``query``
  filters by name or username, ``user_ids`` by id. Members carry no e-mail (only administrators see it).
* ``GET /personal_access_tokens/self`` (GitLab 15.5+): the requesting token's ``scopes``, ``active``,
  ``revoked``, ``expires_at``.
* ``permissions`` of ``GET /projects/:id``: ``project_access`` (direct project membership) and
  ``group_access`` (the highest membership in the project's group or its ancestors), each
  ``{"access_level", "notification_level"}`` or null.

Roles are reported, not enforced: a write needs only a token with the ``api`` scope.
"""

from __future__ import annotations

from typing import Any

from okr_sync.sandbox.gitlab_http import Call, Reply
from okr_sync.sandbox.gitlab_store import GitLabState, Group, Project, User, gitlab_time

NOTIFICATION_LEVEL = 3  # "watch", what GitLab shows for a fresh membership
TOKEN_CREATED = "2026-01-05T09:00:00.000Z"


def group_chain(state: GitLabState, group: Group) -> list[Group]:
    """``group`` and its ancestors, nearest first."""
    chain = [group]
    while chain[-1].parent_id is not None:
        chain.append(state.groups[chain[-1].parent_id])
    return chain


def inherited(state: GitLabState, groups: list[Group], direct: dict[int, int] | None = None) -> dict[int, int]:
    """User id → highest access level over ``direct`` and the groups' memberships."""
    levels = dict(direct or {})
    for group in groups:
        for user_id, level in group.members.items():
            levels[user_id] = max(level, levels.get(user_id, 0))
    return levels


def permissions(state: GitLabState, project: Project, user: User) -> dict[str, Any]:
    """``permissions`` of a single-project answer, for the requesting user."""
    group = inherited(state, group_chain(state, state.groups[project.group_id])).get(user.id)
    direct = project.members.get(user.id)
    return {"project_access": _access(direct), "group_access": _access(group)}


def _access(level: int | None) -> dict[str, int] | None:
    return None if level is None else {"access_level": level, "notification_level": NOTIFICATION_LEVEL}


def list_group_members(call: Call, id: str) -> Reply:
    """``GET /groups/:id/members`` — direct members."""
    return _members(call, call.group(id).members)


def list_group_members_all(call: Call, id: str) -> Reply:
    """``GET /groups/:id/members/all`` — direct and inherited members."""
    return _members(call, inherited(call.state, group_chain(call.state, call.group(id))))


def list_project_members(call: Call, id: str) -> Reply:
    """``GET /projects/:id/members`` — direct members."""
    return _members(call, call.project(id).members)


def list_project_members_all(call: Call, id: str) -> Reply:
    """``GET /projects/:id/members/all`` — direct members and those of the project's group and ancestors."""
    project = call.project(id)
    groups = group_chain(call.state, call.state.groups[project.group_id])
    return _members(call, inherited(call.state, groups, project.members))


def _members(call: Call, levels: dict[int, int]) -> Reply:
    query = (call.params.text("query") or "").lower()
    wanted = {int(v) for v in call.params.names("user_ids") or [] if str(v).isdigit()}
    users = [call.state.users[uid] for uid in sorted(levels) if uid in call.state.users]
    chosen = [u for u in users if (not query or query in u.username.lower() or query in u.name.lower())
              and (not wanted or u.id in wanted)]
    return call.page(chosen, lambda u: member_json(call, u, levels[u.id]))


def member_json(call: Call, user: User, level: int) -> dict[str, Any]:
    """A member entity: the basic user plus the membership."""
    return {**call.state.user_json(user, call.base), "access_level": level,
            "created_at": gitlab_time(call.clock.now()), "expires_at": None, "membership_state": "active"}


def token_self(call: Call) -> Reply:
    """``GET /personal_access_tokens/self`` — the requesting token (never its value)."""
    user = call.user
    return 200, {"id": user.id, "name": f"{user.username} token", "revoked": False, "created_at": TOKEN_CREATED,
                 "description": None, "scopes": list(user.scopes), "user_id": user.id,
                 "last_used_at": gitlab_time(call.clock.now()), "active": True,
                 "expires_at": user.token_expires_at}, {}
