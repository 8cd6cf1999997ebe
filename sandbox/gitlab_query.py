"""Request parameters, issue filters and offset pagination of the GitLab emulator.

GitLab (Grape) merges query-string, form and JSON-body parameters; list parameters arrive as a CSV
string, a JSON array or repeated ``key[]=`` form fields. Pagination answers with ``Link`` (next, prev,
first and — when the total is known — last, each an absolute URL keeping every filter) and ``X-Page``,
``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``; ``X-Total`` and ``X-Total-Pages`` are left out once
a result has more than ``total_header_limit`` rows, as GitLab.com does above 10,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from okr_sync.sandbox.gitlab_store import GitLabState, Issue

T = TypeVar("T")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
_ISSUE_ORDERS = ("created_at", "updated_at", "title", "due_date")
# Filters GitLab has but the sandbox does not emulate: refuse them instead of answering wrongly.
_NOT_EMULATED = ("due_date", "epic_id", "health_status", "iteration_id", "iteration_title",
                 "my_reaction_emoji", "weight", "milestone_id", "not[milestone]", "not[assignee_id]",
                 "not[author_id]", "non_archived", "issue_type", "confidential")


class BadParameter(ValueError):
    """A parameter GitLab would reject with ``400 {"error": "<message>"}``."""


class Params:
    """Merged request parameters (query string, form fields, JSON body)."""

    def __init__(self, args: MultiDict[str, str], body: dict[str, Any]) -> None:
        self._args = args
        self._body = body

    def __contains__(self, key: str) -> bool:
        return key in self._body or key in self._args or f"{key}[]" in self._args

    def keys(self) -> set[str]:
        """Every parameter name given (``key[]`` reported as ``key``)."""
        return {k.removesuffix("[]") for k in [*self._body, *self._args]}

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (body wins over query string)."""
        if key in self._body:
            return self._body[key]
        if key in self._args:
            return self._args.get(key)
        return default

    def text(self, key: str) -> str | None:
        """``key`` as a string, ``None`` when absent or JSON null."""
        value = self.get(key)
        return None if value is None else str(value)

    def integer(self, key: str, default: int | None = None) -> int | None:
        """``key`` as an int; 400 ``<key> is invalid`` otherwise."""
        value = self.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BadParameter(f"{key} is invalid") from None

    def names(self, key: str) -> list[str] | None:
        """A list parameter (CSV string, JSON array or ``key[]`` fields); ``None`` when absent."""
        if f"{key}[]" in self._args and key not in self._body:
            return [v for v in self._args.getlist(f"{key}[]") if v != ""]
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [v.strip() for v in str(value).split(",") if v.strip()]

    def time(self, key: str) -> datetime | None:
        """An ISO 8601 time or date parameter (naive means UTC); 400 ``<key> is invalid`` otherwise."""
        value = self.text(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" ", "+").replace("Z", "+00:00"))
        except ValueError:
            raise BadParameter(f"{key} is invalid") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        """An enumerated parameter; 400 ``<key> does not have a valid value`` otherwise."""
        value = self.text(key) or default
        if value not in allowed:
            raise BadParameter(f"{key} does not have a valid value")
        return value


def filter_issues(state: GitLabState, issues: Iterable[Issue], params: Params) -> list[Issue]:
    """Apply GitLab's issue list filters and ordering to ``issues``."""
    for key in _NOT_EMULATED:
        if key in params:
            raise BadParameter(f"{key}: this issue filter is not emulated by the sandbox; filter client-side")
    wanted_state = params.choice("state", ("opened", "closed", "all"), "all")
    order_by = params.choice("order_by", (*_ISSUE_ORDERS, "priority", "relative_position", "label_priority",
                                          "milestone_due", "popularity", "weight"), "created_at")
    if order_by not in _ISSUE_ORDERS:
        raise BadParameter(f"order_by={order_by} is not emulated by the sandbox; use one of {_ISSUE_ORDERS}")
    sort = params.choice("sort", ("asc", "desc"), "desc")
    checks: list[Callable[[Issue], bool]] = []
    if wanted_state != "all":
        checks.append(lambda i: i.state == wanted_state)
    for key, attr, compare in (("updated_after", "updated_at", "ge"), ("updated_before", "updated_at", "le"),
                               ("created_after", "created_at", "ge"), ("created_before", "created_at", "le")):
        bound = params.time(key)
        if bound is not None:
            checks.append(_time_check(attr, bound, compare))
    labels = params.names("labels")
    if labels:
        checks.append(_labels_check(labels))
    excluded = params.names("not[labels]")
    if excluded:
        checks.append(lambda i: not set(excluded) & set(i.labels))
    search = params.text("search")
    if search:
        fields = params.names("in") or ["title", "description"]
        needle = search.lower()
        checks.append(lambda i: any(needle in (getattr(i, f, None) or "").lower() for f in fields))
    iids = params.names("iids")
    if iids:
        checks.append(lambda i: str(i.iid) in iids)
    checks.extend(_people_checks(state, params))
    milestone = params.text("milestone")
    if milestone is not None:
        checks.append(_milestone_check(state, milestone))
    chosen = [i for i in issues if all(check(i) for check in checks)]
    return order_rows(chosen, order_by, sort)


def order_rows(rows: list[Any], order_by: str, sort: str) -> list[Any]:
    """Sort by ``order_by`` then id in the ``sort`` direction; empty values always come last."""
    present = [r for r in rows if getattr(r, order_by) is not None]
    missing = [r for r in rows if getattr(r, order_by) is None]
    present.sort(key=lambda r: (getattr(r, order_by), r.id), reverse=sort == "desc")
    missing.sort(key=lambda r: r.id, reverse=sort == "desc")
    return present + missing


def _time_check(attr: str, bound: datetime, compare: str) -> Callable[[Issue], bool]:
    if compare == "ge":
        return lambda i: getattr(i, attr) >= bound
    return lambda i: getattr(i, attr) <= bound


def _labels_check(labels: list[str]) -> Callable[[Issue], bool]:
    if labels == ["None"]:
        return lambda i: not i.labels
    if labels == ["Any"]:
        return lambda i: bool(i.labels)
    return lambda i: set(labels) <= set(i.labels)


def _milestone_check(state: GitLabState, title: str) -> Callable[[Issue], bool]:
    if title == "None":
        return lambda i: i.milestone_id is None
    if title == "Any":
        return lambda i: i.milestone_id is not None

    def check(issue: Issue) -> bool:
        milestone = state.projects[issue.project_id].milestones.get(issue.milestone_id or 0)
        return milestone is not None and milestone.title == title

    return check


def _people_checks(state: GitLabState, params: Params) -> list[Callable[[Issue], bool]]:
    checks: list[Callable[[Issue], bool]] = []
    assignee = params.text("assignee_id")
    if assignee == "None":
        checks.append(lambda i: not i.assignee_ids)
    elif assignee == "Any":
        checks.append(lambda i: bool(i.assignee_ids))
    elif assignee is not None:
        wanted = params.integer("assignee_id")
        checks.append(lambda i: wanted in i.assignee_ids)
    usernames = params.names("assignee_username")
    if usernames:
        ids = {u.id for u in state.users.values() if u.username in usernames}
        checks.append(lambda i: bool(ids & set(i.assignee_ids)))
    author = params.integer("author_id")
    if author is not None:
        checks.append(lambda i: i.author_id == author)
    author_name = params.text("author_username")
    if author_name is not None:
        user = state.find_user(author_name)
        checks.append(lambda i: user is not None and i.author_id == user.id)
    return checks


def paginate(
    rows: list[T], params: Params, page_url: str, query: MultiDict[str, str], total_header_limit: int
) -> tuple[list[T], dict[str, str]]:
    """One page of ``rows`` and the pagination headers; ``page_url`` is the absolute URL without query."""
    per_page = params.integer("per_page", DEFAULT_PER_PAGE) or DEFAULT_PER_PAGE
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, params.integer("page", 1) or 1)
    total = len(rows)
    last = max(1, -(-total // per_page))
    chosen = rows[(page - 1) * per_page : page * per_page]

    def link(number: int) -> str:
        kept = [(k, v) for k, v in query.items(multi=True) if k not in ("page", "per_page")]
        return f"{page_url}?{urlencode([*kept, ('page', str(number)), ('per_page', str(per_page))])}"

    links = []
    headers = {"X-Page": str(page), "X-Per-Page": str(per_page)}
    headers["X-Next-Page"] = str(page + 1) if page < last else ""
    headers["X-Prev-Page"] = str(page - 1) if page > 1 else ""
    if page > 1:
        links.append(f'<{link(page - 1)}>; rel="prev"')
    if page < last:
        links.append(f'<{link(page + 1)}>; rel="next"')
    links.append(f'<{link(1)}>; rel="first"')
    if total <= total_header_limit:
        links.append(f'<{link(last)}>; rel="last"')
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(last)
    headers["Link"] = ", ".join(links)
    return chosen, headers
