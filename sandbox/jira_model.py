"""State of the Jira emulator: users, projects, workflow, fields, issues, comments, links, changelog.

Plain dataclasses plus :class:`JiraState`, which owns them, hands out ids the way Jira does (issues
from 10000, keys per project, custom fields ``customfield_100NN``) and answers look-ups. Loading a
fixture lives in :mod:`sandbox.jira_fixture`; JSON rendering in :mod:`sandbox.jira_render`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from okr_sync.sandbox.jira_adf import adf_to_wiki, wiki_to_adf


class JiraApiError(Exception):
    """An answer in Jira's error shape: ``{"errorMessages": [...], "errors": {...}}``."""

    def __init__(self, status: int, messages: list[str] | str | None = None,
                 errors: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.messages = [messages] if isinstance(messages, str) else list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {self.messages or self.errors}")


SERVER_DEFAULT_VERSION = "10.3.6"
"""Jira Data Center 10.3 (the long-term-support release); a fixture ``version: 9.12.15`` models older ones."""
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass
class User:
    """A Jira user; Cloud shows ``accountId``, Server shows ``name``/``key``."""

    name: str
    account_id: str
    display_name: str
    email: str
    time_zone: str = "UTC"
    token: str = ""
    read_only: bool = False
    email_visible: bool = False
    """Cloud shows ``emailAddress`` only when the user's profile visibility allows it (default: hidden)."""
    account_type: str = "atlassian"
    """Cloud account type: ``atlassian`` (a person), ``app`` or ``customer``."""
    active: bool = True
    hidden: bool = False
    """Cloud: an account the caller may not browse (left out of ``/users/search`` after paging)."""


@dataclass(frozen=True)
class StatusCategory:
    """One of Jira's fixed status categories."""

    id: int
    key: str
    name: str
    color: str


CATEGORIES = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}


@dataclass(frozen=True)
class Status:
    """A workflow status and its category key."""

    id: str
    name: str
    category: str


@dataclass(frozen=True)
class IssueType:
    """An issue type; ``hierarchy`` is 1 for Epic, 0 for standard types, -1 for sub-tasks."""

    id: str
    name: str
    hierarchy: int

    @property
    def subtask(self) -> bool:
        """Whether this is a sub-task type (needs a parent)."""
        return self.hierarchy < 0


@dataclass(frozen=True)
class Resolution:
    """A resolution set when an issue enters a done status."""

    id: str
    name: str
    description: str


RESOLUTIONS = [Resolution("10000", "Done", "Work has been completed on this issue."),
               Resolution("10001", "Won't Do", "This issue won't be actioned.")]


@dataclass(frozen=True)
class LinkType:
    """An issue link type: ``outward`` reads from the source issue, ``inward`` from the target."""

    id: str
    name: str
    inward: str
    outward: str


@dataclass
class Project:
    """A project with its issue types (by id)."""

    id: str
    key: str
    name: str
    type_ids: list[str]
    lead: str
    next_number: int = 1


CUSTOM_TYPES = {
    "number": ("number", None, "com.atlassian.jira.plugin.system.customfieldtypes:float"),
    "string": ("string", None, "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "select": ("option", None, "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    "checkbox": ("array", "option", "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"),
    "datetime": ("datetime", None, "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
}
"""Fixture type → (schema type, schema items, Jira custom type key)."""


@dataclass
class FieldContext:
    """A custom field context (Cloud): options live here; no project ids means global."""

    id: str
    name: str
    description: str = ""
    project_ids: list[str] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CustomField:
    """A custom field ``customfield_NNNNN`` of one of :data:`CUSTOM_TYPES`."""

    id: str
    name: str
    kind: str
    description: str = ""
    contexts: list[FieldContext] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The numeric id used in ``cf[N]`` and ``customId``."""
        return int(self.id.removeprefix("customfield_"))

    def options(self) -> list[dict[str, Any]]:
        """All options over all contexts."""
        return [o for c in self.contexts for o in c.options]

    def current(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The option as it is now (renamed or disabled since it was set), by the stored option's id."""
        return next((o for o in self.options() if o["id"] == stored["id"]), stored)


@dataclass
class Comment:
    """An issue comment: ``body`` is the wiki text REST v2 shows; on Cloud ``doc`` is what is stored (ADF).

    ``properties`` are the comment's entity properties (``/comment/{id}/properties/{key}``).
    """

    id: str
    author: str
    body: str
    created: datetime
    updated: datetime
    update_author: str
    doc: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    """One changelog entry: who changed what when."""

    id: str
    author: str
    created: datetime
    items: list[dict[str, str | None]]


@dataclass
class Issue:
    """An issue; custom values are stored by field id in their REST shape."""

    id: str
    key: str
    project_id: str
    type_id: str
    summary: str
    status_id: str
    created: datetime
    updated: datetime
    reporter: str
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    duedate: date | None = None
    parent_id: str | None = None
    resolution_id: str | None = None
    resolutiondate: datetime | None = None
    status_changed: datetime | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)


@dataclass
class IssueLink:
    """A link: ``source`` ``type.outward`` ``target`` (e.g. A blocks B)."""

    id: str
    type_id: str
    source_id: str
    target_id: str


WORKFLOW = [Status("10000", "To Do", "new"), Status("3", "In Progress", "indeterminate"),
            Status("10001", "Done", "done")]
TRANSITION_IDS = {"10000": "11", "3": "21", "10001": "31"}
ISSUE_TYPES = [IssueType("10001", "Task", 0), IssueType("10002", "Sub-task", -1),
               IssueType("10003", "Epic", 1), IssueType("10004", "Key Result", 0)]
LINK_TYPES = [LinkType("10000", "Blocks", "is blocked by", "blocks"),
              LinkType("10001", "Cloners", "is cloned by", "clones"),
              LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
              LinkType("10003", "Relates", "relates to", "relates to")]


class JiraState:
    """Everything the emulator knows; not thread-safe (the emulator serialises requests)."""

    def __init__(self, deployment: str, version: str | None = None) -> None:
        self.deployment = deployment
        self.version = version or ("1001.0.0-SNAPSHOT" if deployment == "Cloud" else SERVER_DEFAULT_VERSION)
        """Server/Data Center version: 10 and later cap user searches at 100 (see ``user_search``)."""
        self.index_lag = False
        """Cloud: a search right after a write does not show the written issues (unless reconciled)."""
        self.unindexed: set[str] = set()
        self.users: list[User] = []
        self.projects: list[Project] = []
        self.statuses = list(WORKFLOW)
        self.issue_types = list(ISSUE_TYPES)
        self.link_types = list(LINK_TYPES)
        self.fields: list[CustomField] = []
        self.issues: dict[str, Issue] = {}
        self.links: list[IssueLink] = []
        self._issue_ids = itertools.count(10000)
        self._field_ids = itertools.count(10000)
        self._misc_ids = itertools.count(10000)

    @property
    def cloud(self) -> bool:
        """Whether this instance answers like Jira Cloud (else Server/Data Center)."""
        return self.deployment == "Cloud"

    def next_issue_id(self) -> str:
        """A fresh issue id."""
        return str(next(self._issue_ids))

    def next_field_id(self) -> str:
        """A fresh ``customfield_100NN`` id."""
        return f"customfield_{next(self._field_ids)}"

    def next_id(self) -> str:
        """A fresh id for comments, changelog entries, links, contexts and options."""
        return str(next(self._misc_ids))

    # --- look-ups -----------------------------------------------------------------------------------

    def user_by_login(self, login: str) -> User | None:
        """The user a basic-auth login names, case-insensitive: Cloud takes only the account's e-mail
        (with an API token), Server the user name or e-mail."""
        low = login.lower()
        return next((u for u in self.users if low == u.email.lower() or (not self.cloud and low == u.name.lower())),
                    None)

    def new_comment(self, author: str, body: str, now: datetime) -> Comment:
        """A comment as this deployment stores it: Cloud keeps the document, v2 shows it converted back."""
        comment = Comment(self.next_id(), author, body, now, now, author)
        self.set_body(comment, body)
        return comment

    def set_body(self, comment: Comment, body: str) -> None:
        """Store a wiki-markup body (Cloud: through the wiki → ADF → wiki round trip, as Jira Cloud does)."""
        if self.cloud:
            comment.doc = wiki_to_adf(body)
            comment.body = adf_to_wiki(comment.doc)
        else:
            comment.body = body

    @property
    def server_major(self) -> int:
        """The major version number (0 when unreadable)."""
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0

    def user_by_token(self, token: str) -> User | None:
        """The user owning a token (bearer auth)."""
        return next((u for u in self.users if token and u.token == token), None)

    def user_by_ref(self, ref: str) -> User | None:
        """A user by accountId, name, key or e-mail."""
        low = ref.lower()
        return next((u for u in self.users
                     if low in (u.account_id.lower(), u.name.lower(), u.email.lower())), None)

    def user(self, name: str | None) -> User | None:
        """The user with this (internal) name."""
        return next((u for u in self.users if u.name == name), None) if name else None

    def project(self, ref: str) -> Project | None:
        """A project by id or key (key case-insensitive)."""
        return next((p for p in self.projects if ref in (p.id,) or p.key.lower() == ref.lower()), None)

    def project_by_id(self, project_id: str) -> Project:
        """The project with this id (must exist)."""
        return next(p for p in self.projects if p.id == project_id)

    def status(self, status_id: str) -> Status:
        """The status with this id (must exist)."""
        return next(s for s in self.statuses if s.id == status_id)

    def status_named(self, ref: str) -> Status | None:
        """A status by name (case-insensitive) or id."""
        return next((s for s in self.statuses if ref.lower() in (s.name.lower(), s.id)), None)

    def issue_type(self, type_id: str) -> IssueType:
        """The issue type with this id (must exist)."""
        return next(t for t in self.issue_types if t.id == type_id)

    def issue_type_named(self, ref: str) -> IssueType | None:
        """An issue type by name (case-insensitive) or id."""
        return next((t for t in self.issue_types if ref.lower() in (t.name.lower(), t.id)), None)

    def resolution(self, ref: str) -> Resolution | None:
        """A resolution by name (case-insensitive) or id."""
        return next((r for r in RESOLUTIONS if ref.lower() in (r.name.lower(), r.id)), None)

    def link_type(self, ref: dict[str, Any]) -> LinkType | None:
        """A link type by ``{"id"}`` or ``{"name"}`` (name case-insensitive)."""
        return next((t for t in self.link_types if str(ref.get("id")) == t.id
                     or str(ref.get("name", "")).lower() == t.name.lower()), None)

    def issue(self, ref: str) -> Issue | None:
        """An issue by id or key (key case-insensitive)."""
        if ref in self.issues:
            return self.issues[ref]
        up = ref.upper()
        return next((i for i in self.issues.values() if i.key == up), None)

    def require_issue(self, ref: str) -> Issue:
        """An issue by id or key, or 404 in Jira's words."""
        issue = self.issue(ref)
        if issue is None:
            raise JiraApiError(404, ISSUE_NOT_FOUND)
        return issue

    def custom_field(self, ref: str) -> CustomField | None:
        """A custom field by id, ``cf[N]`` or name (case-insensitive)."""
        low = ref.lower()
        return next((f for f in self.fields if low in (f.id, f"cf[{f.number}]", f.name.lower())), None)

    def subtasks(self, issue: Issue) -> list[Issue]:
        """Children of ``issue`` in id order."""
        return [i for i in self.issues.values() if i.parent_id == issue.id]

    def links_of(self, issue: Issue) -> list[IssueLink]:
        """Links touching ``issue``, oldest first."""
        return [lk for lk in self.links if issue.id in (lk.source_id, lk.target_id)]
