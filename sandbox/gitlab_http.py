"""Per-request context and error type shared by the GitLab emulator's handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from okr_sync.sandbox.clock import SandboxClock
from okr_sync.sandbox.gitlab_query import Params, paginate
from okr_sync.sandbox.gitlab_store import GitLabState, Group, Project, User

Reply = tuple[int, Any, dict[str, str]]
T = TypeVar("T")


class GitLabError(Exception):
    """An error answer in GitLab's shape, e.g. ``GitLabError(404, {"message": "404 Project Not Found"})``."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Call:
    """One authenticated request: who asks, with which parameters, and where the answer points.

    ``base`` is the instance URL as the client sees it (``http://host:port/gitlab``); ``page_url`` is
    the absolute URL of this request without its query string, used for ``Link`` headers.
    """

    state: GitLabState
    clock: SandboxClock
    user: User
    params: Params
    query: MultiDict[str, str]
    base: str
    page_url: str
    scoped_labels: bool
    total_header_limit: int

    def project(self, ref: str) -> Project:
        """The project named by an id or URL-encoded path in the URL; 404 when unknown."""
        project = self.state.find_project(ref)
        if project is None:
            raise GitLabError(404, {"message": "404 Project Not Found"})
        return project

    def group(self, ref: str) -> Group:
        """The group named by an id or URL-encoded path in the URL; 404 when unknown."""
        group = self.state.find_group(ref)
        if group is None:
            raise GitLabError(404, {"message": "404 Group Not Found"})
        return group

    def page(self, rows: list[T], render: Callable[[T], dict[str, Any]]) -> Reply:
        """A 200 answer with one page of ``rows`` (rendered after slicing) and the pagination headers."""
        chosen, headers = paginate(rows, self.params, self.page_url, self.query, self.total_header_limit)
        return 200, [render(row) for row in chosen], headers
