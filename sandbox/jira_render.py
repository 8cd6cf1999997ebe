"""JSON shapes of the Jira emulator, as Jira REST v2 (and v3 for reads) returns them.

Times are rendered like Jira (``2026-11-24T10:15:30.000+0100``) in the requesting user's time zone.
On ``/rest/api/3`` the rich-text fields (``description``, comment ``body``) are Atlassian Document
Format documents wrapping the stored plain text; on v2 they are the plain text itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from okr_sync.sandbox.jira_model import (
    CATEGORIES,
    CUSTOM_TYPES,
    Comment,
    CustomField,
    History,
    Issue,
    IssueLink,
    IssueType,
    JiraState,
    LinkType,
    Project,
    Resolution,
    Status,
    User,
)

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
SYSTEM_FIELDS: list[tuple[str, str, list[str], dict[str, str] | None, bool]] = [
    # id, name, clause names, schema, navigable
    ("summary", "Summary", ["summary"], {"type": "string", "system": "summary"}, True),
    ("issuekey", "Key", ["id", "issue", "issuekey", "key"], None, True),
    ("project", "Project", ["project"], {"type": "project", "system": "project"}, True),
    ("issuetype", "Issue Type", ["issuetype", "type"], {"type": "issuetype", "system": "issuetype"}, True),
    ("status", "Status", ["status"], {"type": "status", "system": "status"}, True),
    ("statusCategory", "Status Category", ["statusCategory"], None, False),
    ("description", "Description", ["description"], {"type": "string", "system": "description"}, True),
    ("labels", "Labels", ["labels"], {"type": "array", "items": "string", "system": "labels"}, True),
    ("assignee", "Assignee", ["assignee"], {"type": "user", "system": "assignee"}, True),
    ("reporter", "Reporter", ["reporter"], {"type": "user", "system": "reporter"}, True),
    ("creator", "Creator", ["creator"], {"type": "user", "system": "creator"}, True),
    ("priority", "Priority", ["priority"], {"type": "priority", "system": "priority"}, True),
    ("duedate", "Due date", ["due", "duedate"], {"type": "date", "system": "duedate"}, True),
    ("created", "Created", ["created", "createdDate"], {"type": "datetime", "system": "created"}, True),
    ("updated", "Updated", ["updated", "updatedDate"], {"type": "datetime", "system": "updated"}, True),
    ("resolution", "Resolution", ["resolution"], {"type": "resolution", "system": "resolution"}, True),
    ("resolutiondate", "Resolved", ["resolutiondate", "resolved"],
     {"type": "datetime", "system": "resolutiondate"}, True),
    ("statuscategorychangedate", "Status Category Changed", ["statusCategoryChangedDate"],
     {"type": "datetime", "system": "statuscategorychangedate"}, True),
    ("parent", "Parent", ["parent"], None, True),
    ("subtasks", "Sub-tasks", ["subtasks"], {"type": "array", "items": "issuelinks", "system": "subtasks"}, True),
    ("issuelinks", "Linked Issues", ["issueLink"],
     {"type": "array", "items": "issuelinks", "system": "issuelinks"}, True),
    ("comment", "Comment", ["comment"], {"type": "comments-page", "system": "comment"}, False),
]
NAVIGABLE = {f[0] for f in SYSTEM_FIELDS if f[4]} - {"issuekey", "statusCategory"}
ALL_SYSTEM = {f[0] for f in SYSTEM_FIELDS} - {"issuekey", "statusCategory"}


def jira_time(when: datetime, tz: str) -> str:
    """Jira's timestamp format in zone ``tz``: ``2026-11-24T10:15:30.000+0000``."""
    local = when.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def adf(text: str | None) -> dict[str, Any] | None:
    """Plain text as an Atlassian Document Format document (one paragraph per line)."""
    if text is None:
        return None
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
                  for line in text.split("\n")]
    return {"type": "doc", "version": 1, "content": paragraphs}


@dataclass
class Renderer:
    """Renders state objects for one request: base URL, API version and viewer's time zone."""

    state: JiraState
    base: str
    api: str
    viewer: User | None

    @property
    def tz(self) -> str:
        """The viewer's time zone (UTC for anonymous requests)."""
        return self.viewer.time_zone if self.viewer else "UTC"

    def url(self, path: str) -> str:
        """Absolute REST URL of ``path`` (v2 for ``self`` links, as Jira does on v2)."""
        return f"{self.base}/rest/api/{'3' if self.api == '3' else '2'}/{path}"

    def time(self, when: datetime | None) -> str | None:
        """A timestamp in the viewer's zone, or None."""
        return None if when is None else jira_time(when, self.tz)

    def text(self, text: str | None) -> Any:
        """A rich-text value: plain on v2, ADF on v3."""
        return adf(text) if self.api == "3" else text

    def user(self, user: User | None) -> dict[str, Any] | None:
        """A user as Cloud (accountId) or Server (name/key) shows it."""
        if user is None:
            return None
        avatars = {s: f"{self.base}/secure/useravatar?size={s}&ownerId={user.name}"
                   for s in ("48x48", "24x24", "16x16", "32x32")}
        out: dict[str, Any] = {}
        if self.state.cloud:
            out["self"] = self.url(f"user?accountId={user.account_id}")
            out["accountId"] = user.account_id
            out["accountType"] = user.account_type
        else:
            out["self"] = self.url(f"user?username={user.name}")
            out["name"] = user.name
            out["key"] = user.name
        if not self.state.cloud or user.email_visible or (self.viewer is not None and self.viewer.name == user.name):
            out["emailAddress"] = user.email  # Cloud hides it unless the profile shows it (or it is you)
        out.update({"avatarUrls": avatars, "displayName": user.display_name,
                    "active": user.active, "timeZone": user.time_zone})
        return out

    def full_user(self, user: User) -> dict[str, Any]:
        """A user with locale (``/myself``, ``/user``)."""
        return {**(self.user(user) or {}), "locale": "en_US"}

    def category(self, key: str) -> dict[str, Any]:
        """A status category."""
        cat = CATEGORIES[key]
        return {"self": self.url(f"statuscategory/{cat.id}"), "id": cat.id, "key": cat.key,
                "colorName": cat.color, "name": cat.name}

    def status(self, status: Status) -> dict[str, Any]:
        """A status with its category."""
        return {"self": self.url(f"status/{status.id}"), "description": "",
                "iconUrl": f"{self.base}/images/icons/statuses/generic.png", "name": status.name,
                "id": status.id, "statusCategory": self.category(status.category)}

    def issue_type(self, t: IssueType) -> dict[str, Any]:
        """An issue type."""
        return {"self": self.url(f"issuetype/{t.id}"), "id": t.id, "description": "", "name": t.name,
                "iconUrl": f"{self.base}/images/icons/issuetypes/{t.id}.png", "subtask": t.subtask,
                "avatarId": 10318, "hierarchyLevel": t.hierarchy}

    def project(self, p: Project, *, full: bool = False) -> dict[str, Any]:
        """A project (with lead and issue types when ``full``)."""
        out: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": self.url(f"project/{p.id}"), "id": p.id, "key": p.key, "name": p.name,
            "avatarUrls": {s: f"{self.base}/secure/projectavatar?size={s}&pid={p.id}"
                           for s in ("48x48", "24x24", "16x16", "32x32")},
            "projectTypeKey": "software", "simplified": False, "style": "classic", "isPrivate": False}
        if full:
            out.update({"description": "", "lead": self.user(self.state.user(p.lead)), "components": [],
                        "issueTypes": [self.issue_type(self.state.issue_type(t)) for t in p.type_ids],
                        "assigneeType": "UNASSIGNED", "versions": [], "roles": {}})
        return out

    def project_ref(self, p: Project) -> dict[str, Any]:
        """The short project form inside an issue's ``fields``."""
        return {"self": self.url(f"project/{p.id}"), "id": p.id, "key": p.key, "name": p.name,
                "projectTypeKey": "software", "simplified": False,
                "avatarUrls": {s: f"{self.base}/secure/projectavatar?size={s}&pid={p.id}"
                               for s in ("48x48", "24x24", "16x16", "32x32")}}

    def resolution(self, r: Resolution | None) -> dict[str, Any] | None:
        """A resolution or None."""
        if r is None:
            return None
        return {"self": self.url(f"resolution/{r.id}"), "id": r.id, "description": r.description,
                "name": r.name}

    def priority(self) -> dict[str, Any]:
        """The one priority every sandbox issue has."""
        return {"self": self.url("priority/3"), "iconUrl": f"{self.base}/images/icons/priorities/medium.svg",
                "name": "Medium", "id": "3"}

    def link_type(self, t: LinkType) -> dict[str, Any]:
        """An issue link type."""
        return {"id": t.id, "name": t.name, "inward": t.inward, "outward": t.outward,
                "self": self.url(f"issueLinkType/{t.id}")}

    def field(self, f: CustomField) -> dict[str, Any]:
        """A custom field as ``/field`` lists it."""
        schema_type, items, custom = CUSTOM_TYPES[f.kind]
        schema: dict[str, Any] = {"type": schema_type, "custom": custom, "customId": f.number}
        if items:
            schema["items"] = items
        return {"id": f.id, "key": f.id, "name": f.name, "custom": True, "orderable": True,
                "navigable": True, "searchable": True, "clauseNames": [f"cf[{f.number}]", f.name],
                "schema": schema}

    def fields_list(self) -> list[dict[str, Any]]:
        """``GET /field``: system fields, then custom fields."""
        out = []
        for fid, name, clauses, schema, navigable in SYSTEM_FIELDS:
            entry: dict[str, Any] = {"id": fid, "key": fid, "name": name, "custom": False,
                                     "orderable": fid not in ("issuekey", "statusCategory", "created",
                                                              "updated", "creator"),
                                     "navigable": navigable, "searchable": True, "clauseNames": clauses}
            if schema is not None:
                entry["schema"] = schema
            out.append(entry)
        return out + [self.field(f) for f in self.state.fields]

    def option(self, option: dict[str, Any]) -> dict[str, Any]:
        """A select option value as it appears inside an issue."""
        return {"self": self.url(f"customFieldOption/{option['id']}"), "value": option["value"],
                "id": option["id"], "disabled": option.get("disabled", False)}

    def custom_value(self, f: CustomField, value: Any) -> Any:
        """A stored custom value in its REST shape."""
        if value is None:
            return None
        if f.kind == "select":
            return self.option(f.current(value))
        if f.kind == "checkbox":
            return [self.option(f.current(o)) for o in value] or None
        if f.kind == "datetime":
            return self.time(value)
        return value

    def issue_ref(self, issue: Issue) -> dict[str, Any]:
        """The short form used for parent, sub-tasks and linked issues."""
        return {"id": issue.id, "key": issue.key, "self": self.url(f"issue/{issue.id}"),
                "fields": {"summary": issue.summary, "status": self.status(self.state.status(issue.status_id)),
                           "priority": self.priority(),
                           "issuetype": self.issue_type(self.state.issue_type(issue.type_id))}}

    def issue_link(self, link: IssueLink, seen_from: Issue | None) -> dict[str, Any]:
        """A link; seen from one issue it shows only the other side (``outwardIssue`` = we are source)."""
        out: dict[str, Any] = {"id": link.id, "self": self.url(f"issueLink/{link.id}"),
                               "type": self.link_type(next(t for t in self.state.link_types
                                                           if t.id == link.type_id))}
        source, target = self.state.issues[link.source_id], self.state.issues[link.target_id]
        if seen_from is None or seen_from.id == target.id:
            out["inwardIssue"] = self.issue_ref(source)
        if seen_from is None or seen_from.id == source.id:
            out["outwardIssue"] = self.issue_ref(target)
        return out

    def comment(self, issue: Issue, c: Comment, *, properties: bool = False) -> dict[str, Any]:
        """A comment (Cloud adds ``jsdPublic``; v3 shows the stored document; ``properties`` when expanded)."""
        body = (c.doc if c.doc is not None else adf(c.body)) if self.api == "3" else c.body
        out: dict[str, Any] = {"self": self.url(f"issue/{issue.id}/comment/{c.id}"), "id": c.id,
                               "author": self.user(self.state.user(c.author)), "body": body,
                               "updateAuthor": self.user(self.state.user(c.update_author)),
                               "created": self.time(c.created), "updated": self.time(c.updated)}
        if self.state.cloud:
            out["jsdPublic"] = True
        if properties:
            out["properties"] = [{"key": k, "value": v} for k, v in c.properties.items()]
        return out

    def history(self, h: History) -> dict[str, Any]:
        """A changelog entry."""
        return {"id": h.id, "author": self.user(self.state.user(h.author)), "created": self.time(h.created),
                "items": [dict(item) for item in h.items]}
