"""JQL search over the Jira emulator's issues: binds :mod:`sandbox.jql` to the state.

Without ORDER BY results come newest-created first (``created DESC``), ties broken by id, so paging
is stable. Date literals are read in the searching user's time zone; ``duedate`` compares as
midnight of that day in the same zone. Text search (``~``) is a case-insensitive substring match.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from okr_sync.sandbox import jql
from okr_sync.sandbox.jira_model import CATEGORIES, RESOLUTIONS, CustomField, Issue, JiraApiError, JiraState, User

_SYSTEM: dict[str, tuple[str, str, str]] = {
    # clause name (lower) -> (field id, display name, kind)
    "project": ("project", "project", "id"),
    "key": ("issuekey", "key", "id"), "issuekey": ("issuekey", "key", "id"),
    "issue": ("issuekey", "key", "id"), "id": ("issuekey", "key", "id"),
    "issuetype": ("issuetype", "issuetype", "id"), "type": ("issuetype", "issuetype", "id"),
    "status": ("status", "status", "id"), "statuscategory": ("statusCategory", "statusCategory", "id"),
    "labels": ("labels", "labels", "labels"), "parent": ("parent", "parent", "id"),
    "assignee": ("assignee", "assignee", "user"), "reporter": ("reporter", "reporter", "user"),
    "resolution": ("resolution", "resolution", "id"), "priority": ("priority", "priority", "id"),
    "updated": ("updated", "updated", "date"), "updateddate": ("updated", "updated", "date"),
    "created": ("created", "created", "date"), "createddate": ("created", "created", "date"),
    "resolved": ("resolutiondate", "resolved", "date"), "resolutiondate": ("resolutiondate", "resolved", "date"),
    "due": ("duedate", "due", "date"), "duedate": ("duedate", "due", "date"),
    "statuscategorychangeddate": ("statuscategorychangedate", "statusCategoryChangedDate", "date"),
    "summary": ("summary", "summary", "text"), "description": ("description", "description", "text"),
    "comment": ("comment", "comment", "text"), "text": ("text", "text", "text"),
}
_CUSTOM_KINDS = {"number": "number", "string": "string", "select": "option", "checkbox": "option",
                 "datetime": "date"}


class IssueQuery:
    """A compiled JQL query for one user: ``matches(issue)`` and ``ordered(issues)``."""

    def __init__(self, state: JiraState, text: str, user: User, now: datetime) -> None:
        self.state = state
        self.tz = ZoneInfo(user.time_zone)
        try:
            parsed = jql.parse(text)
            self._predicate = jql.compile_query(parsed, self._resolve, now=now, tz=self.tz)
            self._sort = jql.sort_fields(parsed, self._resolve)
        except jql.JqlError as exc:
            raise JiraApiError(400, f"Error in the JQL Query: {exc}") from None

    def run(self) -> list[Issue]:
        """Matching issues in query order."""
        found = [i for i in self.state.issues.values() if self._predicate(self._record(i))]
        if not self._sort:
            return sorted(found, key=lambda i: (i.created, int(i.id)), reverse=True)
        by_id = sorted(found, key=lambda i: int(i.id))
        return jql.sort_records(by_id, self._sort, self._sort_value)

    # --- binding --------------------------------------------------------------------------------------

    def _resolve(self, name: str) -> jql.FieldRef | None:
        system = _SYSTEM.get(name.lower())
        if system is not None:
            fid, display, kind = system
            return jql.FieldRef(fid, display, kind, self._known(fid, display))
        cf = self.state.custom_field(name)
        if cf is None:
            return None
        known = None
        if cf.kind in ("select", "checkbox"):
            values = {o["value"].lower() for o in cf.options()} | {o["id"] for o in cf.options()}
            known = _known_in(values, cf.name)
        return jql.FieldRef(cf.id, cf.name, _CUSTOM_KINDS[cf.kind], known)

    def _known(self, fid: str, display: str) -> Callable[[str], str | None] | None:
        s = self.state
        if fid in ("issuekey", "parent"):
            return lambda v: None if s.issue(v) else (
                f"An issue with key '{v}' does not exist for field '{display}'.")
        pools: dict[str, set[str]] = {
            "project": {x.lower() for p in s.projects for x in (p.key, p.name, p.id)},
            "issuetype": {x.lower() for t in s.issue_types for x in (t.name, t.id)},
            "status": {x.lower() for st in s.statuses for x in (st.name, st.id)},
            "statusCategory": {x.lower() for c in CATEGORIES.values() for x in (c.key, c.name, str(c.id))},
            "resolution": {x.lower() for r in RESOLUTIONS for x in (r.name, r.id)},
            "priority": {"medium", "3"},
            "assignee": {x.lower() for u in s.users for x in self._user_aliases(u)},
        }
        pools["reporter"] = pools["assignee"]
        return _known_in(pools[fid], display) if fid in pools else None

    def _user_aliases(self, u: User) -> tuple[str, ...]:
        return (u.account_id, u.email) if self.state.cloud else (u.name, u.email)

    # --- values ---------------------------------------------------------------------------------------

    def _record(self, issue: Issue) -> jql.Record:
        return lambda ref: self._values(issue, ref)

    def _values(self, issue: Issue, ref: jql.FieldRef) -> list[Any]:
        s, fid = self.state, ref.id
        if fid.startswith("customfield_"):
            cf = s.custom_field(fid)
            assert cf is not None
            return _custom_values(cf, issue.custom.get(fid))
        if fid == "project":
            p = s.project_by_id(issue.project_id)
            return [_aliases(p.key, p.name, p.id)]
        if fid == "issuekey":
            return [_aliases(issue.key, issue.id)]
        if fid == "issuetype":
            t = s.issue_type(issue.type_id)
            return [_aliases(t.name, t.id)]
        if fid in ("status", "statusCategory"):
            st = s.status(issue.status_id)
            if fid == "status":
                return [_aliases(st.name, st.id)]
            c = CATEGORIES[st.category]
            return [_aliases(c.key, c.name, str(c.id))]
        if fid == "labels":
            return [_aliases(label) for label in issue.labels]
        if fid == "parent":
            return [_aliases(s.issues[issue.parent_id].key, issue.parent_id)] if issue.parent_id else []
        if fid in ("assignee", "reporter"):
            user = s.user(getattr(issue, fid))
            return [_aliases(*self._user_aliases(user))] if user else []
        if fid == "resolution":
            r = s.resolution(issue.resolution_id) if issue.resolution_id else None
            return [_aliases(r.name, r.id)] if r else []
        if fid == "priority":
            return [_aliases("Medium", "3")]
        if fid == "duedate":
            return [jql.day_start(issue.duedate, self.tz)] if issue.duedate else []
        if fid in ("updated", "created", "resolutiondate"):
            value = getattr(issue, fid)
            return [value] if value else []
        if fid == "statuscategorychangedate":
            return [issue.status_changed or issue.created]
        texts = {"summary": [issue.summary], "description": [issue.description or ""],
                 "comment": [c.body for c in issue.comments]}
        return texts.get(fid) or [issue.summary, issue.description or "", *(c.body for c in issue.comments)]

    def _sort_value(self, issue: Issue, ref: jql.FieldRef) -> Any:
        if ref.id == "issuekey":
            project, number = issue.key.rsplit("-", 1)
            return (project, int(number))
        if ref.id == "resolution" and not issue.resolution_id:
            return None
        values = self._values(issue, ref)
        if not values:
            return None
        first = values[0]
        if isinstance(first, frozenset):
            return min(first)
        return first


def _aliases(*names: str) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def _known_in(pool: set[str], display: str) -> Callable[[str], str | None]:
    return lambda v: None if v.lower() in pool else f"The value '{v}' does not exist for the field '{display}'."


def _custom_values(cf: CustomField, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        return [_aliases(cf.current(o)["value"], o["id"]) for o in value]
    return [value]
