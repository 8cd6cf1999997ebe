"""The people of a GitLab scope, for ``okr-sync people import``: members of the configured groups and projects.

``GET /users`` lists every user of the instance — on gitlab.com the whole SaaS, millions of accounts — so
okr-sync asks for the members of what it is configured to read instead: ``GET /groups/:id/members/all``
and ``GET /projects/:id/members/all`` (direct, inherited and invited members), every page, each user once.
Members that are not active (blocked, awaiting a seat) and the bot users behind project and group access
tokens are left out. GitLab shows a member's ``email`` to administrators only (and ``public_email`` never
in member lists), so the e-mail is usually None and people are matched by username.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from okr_sync.connectors.gitlab.transport import GitLabTransport

ACCESS_TOKEN_BOT = re.compile(r"^(project|group)_\d+_bot(_[0-9a-f]+)?\d*$")
"""Usernames GitLab gives the bot user of a project or group access token."""


def member_paths(projects: Iterable[str | int], groups: Iterable[str | int]) -> list[tuple[str, str]]:
    """(subject, API path) of the member list of every configured group and project."""
    found = [(f"members of group {g}", f"/groups/{quote(str(g), safe='')}/members/all") for g in groups]
    found += [(f"members of project {p}", f"/projects/{quote(str(p), safe='')}/members/all") for p in projects]
    return found


def scope_members(transport: GitLabTransport, projects: Iterable[str | int],
                  groups: Iterable[str | int]) -> list[dict[str, Any]]:
    """Every active human member of the scope as ``{"identity", "name", "email"}``, each username once."""
    people: dict[str, dict[str, Any]] = {}
    for subject, path in member_paths(projects, groups):
        for page in transport.pages(path, subject=subject, query={}):
            for row in page:
                username = row.get("username") if isinstance(row, dict) else None
                if not username or str(username) in people or not _active_human(row):
                    continue
                people[str(username)] = {"identity": str(username), "name": row.get("name"),
                                         "email": row.get("email") or None}
    return list(people.values())


def _active_human(row: dict[str, Any]) -> bool:
    state = row.get("state", "active")
    membership = row.get("membership_state", "active")
    return state == "active" and membership == "active" and not row.get("bot") and \
        not ACCESS_TOKEN_BOT.match(str(row.get("username")))
