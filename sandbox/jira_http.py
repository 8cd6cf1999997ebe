"""Per-request context of the Jira emulator: parameters, JSON body, acting user, renderer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request

from okr_sync.sandbox.jira_edits import Edit
from okr_sync.sandbox.jira_model import JiraApiError, JiraState, User
from okr_sync.sandbox.jira_render import Renderer


@dataclass
class Call:
    """One request as the handlers see it."""

    request: Request
    state: JiraState
    user: User | None
    render: Renderer
    now: datetime

    @property
    def cloud(self) -> bool:
        """Whether the instance is Jira Cloud."""
        return self.state.cloud

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter."""
        return self.request.args.get(name, default)

    def args(self, name: str) -> list[str]:
        """All values of a repeated query parameter."""
        return self.request.args.getlist(name)

    def int_arg(self, name: str, default: int, *, body: dict[str, Any] | None = None) -> int:
        """An integer parameter (from ``body`` when given), or 400 naming it."""
        raw = body.get(name) if body is not None else self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise JiraApiError(400, f"The value '{raw}' of parameter '{name}' is not a number.") from None
        if value < 0:
            raise JiraApiError(400, f"The parameter '{name}' must not be negative.")
        return value

    def json(self) -> dict[str, Any]:
        """The JSON object body, or 400 in Jira's words (and 415 without a JSON content type)."""
        if not self.request.mimetype.endswith("json"):
            raise JiraApiError(415, "Unsupported Media Type: send Content-Type: application/json.")
        try:
            body = json.loads(self.request.get_data(as_text=True) or "null")
        except ValueError as exc:
            raise JiraApiError(400, f"Unexpected character in JSON body: {exc}") from None
        if not isinstance(body, dict):
            raise JiraApiError(400, "Can not deserialize the request body: expected a JSON object.")
        return body

    def editor(self) -> Edit:
        """The write context (the caller has checked that a user is present)."""
        assert self.user is not None
        return Edit(self.state, self.user, self.now)

    def page(self, items: list[Any], default_max: int, cap: int) -> tuple[int, int, list[Any]]:
        """``startAt``/``maxResults`` paging of ``items``: (start, max echoed, slice)."""
        start = self.int_arg("startAt", 0)
        size = min(self.int_arg("maxResults", default_max), cap)
        return start, size, items[start:start + size]
