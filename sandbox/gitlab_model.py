"""The records the GitLab emulator keeps: users, groups, projects, labels, milestones, issues, notes, links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_LABEL_COLOR = "#6699cc"


ROLE_LEVELS = {"minimal": 5, "guest": 10, "planner": 15, "reporter": 20, "developer": 30, "maintainer": 40,
               "owner": 50}
"""GitLab's access levels by role name (``access_level`` in members and ``permissions``)."""


@dataclass
class User:
    """A GitLab user with the personal access token the sandbox accepts for it.

    ``scopes`` are the token's scopes (``read_api`` for a ``read_only`` user unless given): a token without
    ``api`` gets GitLab's ``insufficient_scope`` 403 on every write.
    """

    id: int
    username: str
    name: str
    email: str
    token: str
    read_only: bool = False
    scopes: list[str] = field(default_factory=list)
    token_expires_at: str | None = None


@dataclass
class Group:
    """A group (namespace of kind ``group``); ``parent_id`` makes it a subgroup."""

    id: int
    path: str
    name: str
    parent_id: int | None = None
    description: str = ""
    members: dict[int, int] = field(default_factory=dict)
    """Direct members: user id → access level."""


@dataclass
class Label:
    """A project label; scoped labels are named ``scope::value``."""

    id: int
    name: str
    color: str = DEFAULT_LABEL_COLOR
    description: str | None = None


@dataclass
class Milestone:
    """A project milestone."""

    id: int
    iid: int
    project_id: int
    title: str
    due_date: str | None = None
    state: str = "active"


@dataclass
class Project:
    """A project in a group namespace, with its labels and milestones."""

    id: int
    name: str
    path: str
    group_id: int
    created_at: datetime
    description: str = ""
    labels: dict[str, Label] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    next_iid: int = 1
    members: dict[int, int] = field(default_factory=dict)
    """Direct members: user id → access level."""


@dataclass
class Issue:
    """A project issue; ``labels`` are names, kept sorted as GitLab renders them."""

    id: int
    iid: int
    project_id: int
    title: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    state: str = "opened"
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    due_date: str | None = None
    weight: int | None = None
    milestone_id: int | None = None
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    confidential: bool = False


@dataclass
class Note:
    """A comment (or a system note such as ``closed``) on an issue."""

    id: int
    issue_id: int
    body: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    system: bool = False


@dataclass
class IssueLink:
    """A link between two issues (``relates_to``, ``blocks``, ``is_blocked_by``)."""

    id: int
    source_id: int
    target_id: int
    link_type: str
    created_at: datetime
