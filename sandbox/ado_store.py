"""The Azure DevOps emulator's state: users, projects with their process, work items with revisions, comments.

Shares no code with the product. Work item JSON is what REST 7.1 answers: ``id``, ``rev``, ``fields`` keyed by
reference name (``System.Title``, ``System.Tags`` as ``"a; b"``, ``System.AssignedTo`` as an identity
reference), ``url``. Every change — a field patch or a comment — makes a new revision and moves
``System.ChangedDate`` and ``System.Rev``, as the service does (a comment changes ``System.CommentCount``).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okr_sync.sandbox.clock import SandboxClock

# The Agile process: work item type → [(state, state category)], as GET …/workitemtypes/{type}/states lists.
AGILE_STATES = [("New", "Proposed"), ("Active", "InProgress"), ("Resolved", "Resolved"), ("Closed", "Completed"),
                ("Removed", "Removed")]
TASK_STATES = [("New", "Proposed"), ("Active", "InProgress"), ("Closed", "Completed"), ("Removed", "Removed")]
TYPES = {"Epic": AGILE_STATES, "Feature": AGILE_STATES, "User Story": AGILE_STATES, "Bug": AGILE_STATES,
         "Task": TASK_STATES}
SYSTEM_FIELDS: list[tuple[str, str, str]] = [
    ("System.Id", "ID", "integer"), ("System.Rev", "Rev", "integer"), ("System.Title", "Title", "string"),
    ("System.State", "State", "string"), ("System.WorkItemType", "Work Item Type", "string"),
    ("System.TeamProject", "Team Project", "string"), ("System.AreaPath", "Area Path", "treePath"),
    ("System.IterationPath", "Iteration Path", "treePath"), ("System.Tags", "Tags", "plainText"),
    ("System.AssignedTo", "Assigned To", "identity"), ("System.ChangedDate", "Changed Date", "dateTime"),
    ("System.CreatedDate", "Created Date", "dateTime"), ("System.Parent", "Parent", "integer"),
    ("System.CommentCount", "Comment Count", "integer"), ("System.Description", "Description", "html"),
    ("Microsoft.VSTS.Scheduling.StoryPoints", "Story Points", "double"),
    ("Microsoft.VSTS.Scheduling.Effort", "Effort", "double"),
    ("Microsoft.VSTS.Scheduling.RemainingWork", "Remaining Work", "double"),
    ("Microsoft.VSTS.Scheduling.TargetDate", "Target Date", "dateTime"),
    ("Microsoft.VSTS.Common.ClosedDate", "Closed Date", "dateTime"),
    ("Microsoft.VSTS.CMMI.Blocked", "Blocked", "string"),
]
READ_ONLY = frozenset({"System.Id", "System.Rev", "System.ChangedDate", "System.CreatedDate", "System.CommentCount",
                       "System.TeamProject", "System.WorkItemType"})


class AdoError(Exception):
    """An error answer in Azure DevOps' shape (``message``, ``typeKey``…), e.g. 404 TF401232."""

    def __init__(self, status: int, message: str, type_key: str = "VssServiceException",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"$id": "1", "innerException": None, "message": message,
                     "typeName": f"Microsoft.VisualStudio.Services.WebApi.{type_key}, Microsoft.VisualStudio.Services",
                     "typeKey": type_key, "errorCode": 0, "eventId": 3000}
        self.headers = headers or {}


@dataclass
class User:
    """A member of the organisation; ``pat`` is their personal access token (None: cannot sign in)."""

    name: str
    email: str
    pat: str | None = None
    scopes: frozenset[str] = frozenset({"vso.work_write"})
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"ado-user/{self.email}"))  # stable across runs

    @property
    def descriptor(self) -> str:
        """The Graph subject descriptor (``aad.<base64 of the e-mail>``)."""
        return "aad." + base64.b64encode(self.email.encode()).decode().rstrip("=")

    def ref(self) -> dict[str, Any]:
        """An IdentityRef as work item fields and comments carry it."""
        return {"displayName": self.name, "uniqueName": self.email, "id": self.id, "descriptor": self.descriptor}


@dataclass
class Comment:
    """One comment on a work item (``format`` markdown keeps the text as written)."""

    id: int
    work_item_id: int
    text: str
    format: str
    created_by: User
    created: datetime
    modified_by: User
    modified: datetime
    version: int = 1


@dataclass
class WorkItem:
    """A work item: its current fields and every earlier revision's fields."""

    id: int
    project: str
    fields: dict[str, Any]
    rev: int = 1
    revisions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Subscription:
    """A service-hook subscription (webHooks consumer, httpRequest action)."""

    id: str
    event_type: str
    url: str
    username: str | None
    password: str | None


class AdoState:
    """Everything the emulator holds for one organisation."""

    def __init__(self, clock: SandboxClock, organization: str) -> None:
        self.clock = clock
        self.organization = organization
        self.users: list[User] = []
        self.projects: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self.fields: dict[str, tuple[str, str]] = {ref: (name, kind) for ref, name, kind in SYSTEM_FIELDS}
        self.items: dict[int, WorkItem] = {}
        self.subscriptions: list[Subscription] = []
        self._next_item = 1
        self._next_comment = 1

    # -- lookups --------------------------------------------------------------------------------------

    def project(self, name: str) -> str:
        """The project's canonical name; 404 TF200016 otherwise."""
        found = next((p for p in self.projects if p.casefold() == name.casefold()), None)
        if found is None:
            raise AdoError(404, f"TF200016: The following project does not exist: {name}. Verify that the name of "
                                "the project is correct and that the project exists on the specified Azure DevOps "
                                "Server.", "ProjectDoesNotExistWithNameException")
        return found

    def item(self, item_id: int) -> WorkItem:
        """The work item; 404 TF401232 otherwise."""
        found = self.items.get(item_id)
        if found is None:
            raise AdoError(404, f"TF401232: Work item {item_id} does not exist, or you do not have permissions to "
                                "read it.", "WorkItemUnauthorizedAccessException")
        return found

    def user(self, who: str | None) -> User | None:
        """A user by name, e-mail or id (None when unknown or not given)."""
        if not who:
            return None
        wanted = who.casefold()
        return next((u for u in self.users if wanted in (u.name.casefold(), u.email.casefold(), u.id)), None)

    def state_category(self, item: WorkItem) -> str | None:
        """The category of the item's state in its type's workflow."""
        states = self.projects[item.project].get(str(item.fields.get("System.WorkItemType")), [])
        return next((cat for name, cat in states if name == item.fields.get("System.State")), None)

    # -- changes --------------------------------------------------------------------------------------

    def create(self, project: str, kind: str, fields: dict[str, Any], by: User) -> WorkItem:
        """A new work item at revision 1."""
        project = self.project(project)
        if kind not in self.projects[project]:
            raise AdoError(404, f"VS402323: Work item type {kind} does not exist in project {project} or you do not "
                                "have permission to access it.", "WorkItemTypeNotFoundException")
        now = self.clock.tick()
        item = WorkItem(self._next_item, project, {})
        self._next_item += 1
        base = {"System.Id": item.id, "System.TeamProject": project, "System.WorkItemType": kind,
                "System.State": self.projects[project][kind][0][0], "System.AreaPath": project,
                "System.IterationPath": project, "System.CreatedDate": now, "System.CommentCount": 0,
                "System.CreatedBy": by.ref()}
        item.fields = {**base, **fields}
        self._stamp(item, now, by)
        self.items[item.id] = item
        return item

    def change(self, item: WorkItem, fields: dict[str, Any], by: User) -> None:
        """A new revision with ``fields`` set (None removes a field)."""
        item.revisions.append(json.loads(json.dumps(item.fields, default=str)))
        for name, value in fields.items():
            if value is None:
                item.fields.pop(name, None)
            else:
                item.fields[name] = value
        item.rev += 1
        self._stamp(item, self.clock.tick(), by)

    def add_comment(self, item: WorkItem, text: str, fmt: str, by: User) -> Comment:
        """A comment; the work item gets a new revision (its comment count changes)."""
        now = self.clock.tick()
        comment = Comment(self._next_comment, item.id, text, fmt, by, now, by, now)
        self._next_comment += 1
        item.comments.append(comment)
        self.change(item, {"System.CommentCount": len(item.comments)}, by)
        return comment

    def _stamp(self, item: WorkItem, when: datetime, by: User) -> None:
        item.fields["System.Rev"] = item.rev
        item.fields["System.ChangedDate"] = when
        item.fields["System.ChangedBy"] = by.ref()
        category = self.state_category(item)
        if category == "Completed" and "Microsoft.VSTS.Common.ClosedDate" not in item.fields:
            item.fields["Microsoft.VSTS.Common.ClosedDate"] = when
        elif category != "Completed":
            item.fields.pop("Microsoft.VSTS.Common.ClosedDate", None)


def render_time(value: datetime) -> str:
    """``2026-11-24T10:15:30.123Z``, as Azure DevOps writes dates."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def render_item(item: WorkItem, base: str, wanted: list[str] | None = None) -> dict[str, Any]:
    """The work item JSON (only ``wanted`` fields when given)."""
    fields = {}
    for name, value in item.fields.items():
        if wanted is not None and name.casefold() not in {w.casefold() for w in wanted}:
            continue
        fields[name] = render_time(value) if isinstance(value, datetime) else value
    return {"id": item.id, "rev": item.rev, "fields": fields,
            "url": f"{base}/{item.project}/_apis/wit/workItems/{item.id}"}


def render_comment(comment: Comment, base: str, project: str) -> dict[str, Any]:
    """A comment as the Comments API (7.1-preview.4) answers it."""
    return {"workItemId": comment.work_item_id, "commentId": comment.id, "id": comment.id,
            "version": comment.version, "text": comment.text, "format": comment.format,
            "renderedText": _rendered(comment),
            "createdBy": comment.created_by.ref(), "createdDate": render_time(comment.created),
            "modifiedBy": comment.modified_by.ref(), "modifiedDate": render_time(comment.modified),
            "isDeleted": False,
            "url": f"{base}/{project}/_apis/wit/workItems/{comment.work_item_id}/comments/{comment.id}"}


def _rendered(comment: Comment) -> str:
    """What the web shows: HTML comments are dropped by the service's sanitiser (Markdown is kept in ``text``)."""
    text = re.sub(r"<!--.*?-->", "", comment.text, flags=re.DOTALL)
    return text if comment.format == "html" else f"<p>{text.strip()}</p>"
