"""Build the Jira emulator's state from its fixture section (or the ``empty`` fixture).

Format of the ``jira`` section (YAML or JSON; every key optional; user keys in camelCase or
snake_case)::

    deployment: Cloud                 # Cloud (default) | Server
    version: 10.3.6                   # Server only: 10.x caps user searches at 100 (default 10.3.6)
    bot_time_zone: Asia/Kolkata       # optional: the okr-bot user's time zone (default UTC)
    search_index_lag: false           # Cloud: searches miss issues written since the last search
                                      # unless named in reconcileIssues (eventual consistency)
    users:                            # default: the two contract users below
      - {name: okr-bot, accountId: ..., displayName: OKR Bot, email: ..., timeZone: Europe/Berlin,
         token: sandbox-jira-token, read_only: false,
         email_visible: false,          # Cloud: e-mail shown to others only when true (default hidden)
         accountType: atlassian, active: true,  # app/customer accounts and inactive users also list
         hidden: false}                  # Cloud: not browsable by the caller (dropped after paging)
    projects:                         # default: OKR with Task, Sub-task, Epic, Key Result
      - {key: OKR, name: Objectives and Key Results, lead: okr-bot,
         issue_types: [Task, Sub-task, Epic, Key Result]}   # unknown names become standard types
    link_types:                       # added to Blocks, Cloners, Duplicate, Relates
      - {name: Contributes, outward: contributes to, inward: is contributed to by}
    fields:                           # custom fields, ids customfield_10000, 10001, ... in order
      - {name: OKR Progress, type: number}          # number | string | select | checkbox | datetime
      - {name: OKR Status, type: select, options: [Not started, On track, At risk, Off track, Done]}
    issues:
      - key: OKR-1                    # or project: OKR (next number)
        type: Key Result
        summary: ...
        description: ...
        status: In Progress           # To Do | In Progress | Done
        resolution: Won't Do          # only for Done; default Done
        labels: [kr:OBJ1-KR1]
        assignee: okr-bot             # user name
        reporter: okr-bot             # default: first user
        duedate: 2026-11-30
        parent: OKR-1                 # key; sub-task types need one
        links: [{type: Blocks, to: OKR-7}]           # this issue <outward> OKR-7
        flagged: true                 # sets Jira Software's "Flagged" checkbox field (Impediment)
        fields: {OKR Progress: 40, OKR Status: On track}   # custom values by field NAME
        comments: [{author: viewer, body: text, created: 2026-11-02T09:00:00Z}]   # or plain strings
        created: 2026-10-05T09:00:00Z # default: the sandbox clock at load time
        updated: 2026-11-20T14:30:00Z # default: created

``flagged``: the emulator models Jira Software's flag as the custom field "Flagged" (multi-checkbox
with the single option "Impediment"), created on demand when an issue is flagged and absent
otherwise (the ``empty`` fixture has no custom fields).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from okr_sync.sandbox.jira_model import (
    CUSTOM_TYPES,
    CustomField,
    FieldContext,
    Issue,
    IssueLink,
    IssueType,
    JiraState,
    LinkType,
    Project,
    User,
)

CONTRACT_USERS = [
    {"name": "okr-bot", "displayName": "OKR Sync Bot", "email": "okr-bot@sandbox.example",
     "token": "sandbox-jira-token"},
    {"name": "viewer", "displayName": "Read-only Viewer", "email": "viewer@sandbox.example",
     "token": "sandbox-jira-readonly", "read_only": True},
]
EMPTY_PROJECT = {"key": "OKR", "name": "OKR", "lead": "okr-bot",
                 "issue_types": ["Task", "Sub-task", "Epic", "Key Result"]}
FLAGGED_FIELD = "Flagged"


class FixtureError(ValueError):
    """The fixture section is malformed; the message names the entry and what to fix."""


def build_state(fixture: dict[str, Any] | None, now: datetime, deployment: str | None = None) -> JiraState:
    """A fresh state from ``fixture`` (None = the ``empty`` fixture); ``deployment`` overrides."""
    fx = dict(fixture or {})
    chosen = deployment or fx.get("deployment") or "Cloud"
    if chosen not in ("Cloud", "Server"):
        raise FixtureError(f"jira fixture: deployment must be Cloud or Server, not {chosen!r}")
    state = JiraState(chosen, str(fx["version"]) if fx.get("version") else None)
    state.index_lag = bool(fx.get("search_index_lag", False))
    for i, raw in enumerate(fx.get("users") or CONTRACT_USERS):
        state.users.append(_user(raw, f"users[{i}]"))
    for raw in fx.get("link_types") or []:
        name = str(raw["name"])
        state.link_types.append(LinkType(str(10000 + len(state.link_types)), name,
                                         str(raw.get("inward", name)), str(raw.get("outward", name))))
    for i, raw in enumerate(fx.get("projects") or [EMPTY_PROJECT]):
        state.projects.append(_project(state, raw, i))
    for i, raw in enumerate(fx.get("fields") or []):
        add_custom_field(state, raw.get("name", ""), raw.get("type", ""), raw.get("options") or [],
                         where=f"fields[{i}]")
    _issues(state, fx.get("issues") or [], now)
    return state


def _user(raw: dict[str, Any], where: str) -> User:
    if not raw.get("name"):
        raise FixtureError(f"jira fixture: {where}: a user needs a name")
    name = str(raw["name"])
    account = raw.get("accountId") or raw.get("account_id") or _account_id(name)
    return User(name=name, account_id=str(account),
                display_name=str(raw.get("displayName") or raw.get("display_name") or name),
                email=str(raw.get("email") or raw.get("emailAddress") or f"{name}@sandbox.example"),
                time_zone=str(raw.get("timeZone") or raw.get("time_zone") or "UTC"),
                token=str(raw.get("token") or ""), read_only=bool(raw.get("read_only", False)),
                email_visible=bool(raw.get("email_visible", False)),
                account_type=str(raw.get("accountType") or raw.get("account_type") or "atlassian"),
                active=bool(raw.get("active", True)), hidden=bool(raw.get("hidden", False)))


def _account_id(name: str) -> str:
    """A stable Cloud-style account id (``557058:`` + uuid-like hex) derived from the name."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"557058:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _project(state: JiraState, raw: dict[str, Any], index: int) -> Project:
    key = str(raw.get("key", ""))
    if not key.isalnum() or not key.isupper():
        raise FixtureError(f"jira fixture: projects[{index}].key must be upper-case letters, got {key!r}")
    type_ids = []
    for name in raw.get("issue_types") or EMPTY_PROJECT["issue_types"]:
        found = state.issue_type_named(name)
        if found is None:
            found = IssueType(str(10005 + len(state.issue_types)), name, 0)
            state.issue_types.append(found)
        type_ids.append(found.id)
    return Project(id=str(10000 + index), key=key, name=str(raw.get("name") or key), type_ids=type_ids,
                   lead=str(raw.get("lead") or state.users[0].name))


def add_custom_field(state: JiraState, name: str, kind: str, options: list[Any], *,
                     where: str = "field", description: str = "") -> CustomField:
    """Create a custom field with one global context holding ``options`` (select/checkbox)."""
    if not name:
        raise FixtureError(f"jira fixture: {where}: a custom field needs a name")
    if kind not in CUSTOM_TYPES:
        raise FixtureError(f"jira fixture: {where}: type {kind!r} is not one of {', '.join(CUSTOM_TYPES)}")
    cf = CustomField(state.next_field_id(), name, kind, description)
    context = FieldContext(state.next_id(), f"Default Configuration Scheme for {name}",
                           "Default configuration scheme generated by Jira")
    if kind in ("select", "checkbox"):
        context.options = [{"id": state.next_id(), "value": str(v), "disabled": False} for v in options]
    cf.contexts.append(context)
    state.fields.append(cf)
    return cf


def _time(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _issues(state: JiraState, raws: list[dict[str, Any]], now: datetime) -> None:
    pending: list[tuple[Issue, dict[str, Any], str]] = []
    for i, raw in enumerate(raws):
        where = f"issues[{i}]"
        pending.append((_issue(state, raw, now, where), raw, where))
    for issue, raw, where in pending:
        if raw.get("parent"):
            parent = state.issue(str(raw["parent"]))
            if parent is None:
                raise FixtureError(f"jira fixture: {where}.parent: no issue {raw['parent']!r}")
            issue.parent_id = parent.id
        elif state.issue_type(issue.type_id).subtask:
            raise FixtureError(f"jira fixture: {where}: a {state.issue_type(issue.type_id).name} needs a parent")
        for j, link in enumerate(raw.get("links") or []):
            target, kind = state.issue(str(link.get("to", ""))), state.link_type({"name": link.get("type")})
            if target is None or kind is None:
                raise FixtureError(f"jira fixture: {where}.links[{j}]: unknown issue or link type in {link!r}")
            state.links.append(IssueLink(state.next_id(), kind.id, issue.id, target.id))


def _issue(state: JiraState, raw: dict[str, Any], now: datetime, where: str) -> Issue:
    key = str(raw.get("key") or "")
    project = state.project(key.rsplit("-", 1)[0] if key else str(raw.get("project") or "OKR"))
    if project is None:
        raise FixtureError(f"jira fixture: {where}: unknown project for {key or raw.get('project')!r}")
    number = int(key.rsplit("-", 1)[1]) if key else project.next_number
    project.next_number = max(project.next_number, number + 1)
    issue_type = state.issue_type_named(str(raw.get("type") or "Task"))
    status = state.status_named(str(raw.get("status") or "To Do"))
    if issue_type is None or issue_type.id not in project.type_ids or status is None:
        raise FixtureError(f"jira fixture: {where}: unknown type {raw.get('type')!r} in {project.key} "
                           f"or status {raw.get('status')!r} (statuses: To Do, In Progress, Done)")
    created = _time(raw.get("created"), now)
    updated = _time(raw.get("updated"), created)
    issue = Issue(id=state.next_issue_id(), key=f"{project.key}-{number}", project_id=project.id,
                  type_id=issue_type.id, summary=str(raw.get("summary") or f"Issue {number}"),
                  status_id=status.id, created=created, updated=updated, status_changed=updated,
                  reporter=str(raw.get("reporter") or state.users[0].name),
                  description=raw.get("description"), labels=[str(x) for x in raw.get("labels") or []],
                  assignee=raw.get("assignee"))
    for who in (issue.assignee, issue.reporter):
        if who is not None and state.user(who) is None:
            raise FixtureError(f"jira fixture: {where}: unknown user {who!r}")
    if raw.get("duedate"):
        due = raw["duedate"]
        issue.duedate = due if isinstance(due, date) else date.fromisoformat(str(due))
    if status.category == "done":
        resolution = state.resolution(str(raw.get("resolution") or "Done"))
        if resolution is None:
            raise FixtureError(f"jira fixture: {where}.resolution must be Done or Won't Do")
        issue.resolution_id, issue.resolutiondate = resolution.id, updated
    _custom_values(state, issue, raw, where)
    for j, c in enumerate(raw.get("comments") or []):
        c = {"body": c} if isinstance(c, str) else c
        at = _time(c.get("created"), updated)
        author = str(c.get("author") or state.users[0].name)
        if state.user(author) is None:
            raise FixtureError(f"jira fixture: {where}.comments[{j}]: unknown author {author!r}")
        comment = state.new_comment(author, str(c.get("body", "")), at)
        comment.created = comment.updated = at
        issue.comments.append(comment)
    state.issues[issue.id] = issue
    return issue


def _custom_values(state: JiraState, issue: Issue, raw: dict[str, Any], where: str) -> None:
    values = dict(raw.get("fields") or {})
    if raw.get("flagged"):
        values[FLAGGED_FIELD] = ["Impediment"]
        if state.custom_field(FLAGGED_FIELD) is None:
            add_custom_field(state, FLAGGED_FIELD, "checkbox", ["Impediment"])
    for name, value in values.items():
        cf = state.custom_field(str(name))
        if cf is None:
            raise FixtureError(f"jira fixture: {where}.fields: no custom field named {name!r}; add it under fields")
        issue.custom[cf.id] = _fixture_value(cf, value, f"{where}.fields.{name}")


def _fixture_value(cf: CustomField, value: Any, where: str) -> Any:
    if value is None:
        return None
    if cf.kind in ("select", "checkbox"):
        wanted = value if isinstance(value, list) else [value]
        chosen = []
        for v in wanted:
            option = next((o for o in cf.options() if o["value"] == str(v)), None)
            if option is None:
                raise FixtureError(f"jira fixture: {where}: {v!r} is not an option of {cf.name!r}")
            chosen.append(dict(option))
        return chosen if cf.kind == "checkbox" else chosen[0]
    if cf.kind == "number":
        return float(value)
    if cf.kind == "datetime":
        return _time(value, datetime.now(UTC))
    return str(value)
