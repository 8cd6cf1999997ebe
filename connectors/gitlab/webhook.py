"""GitLab webhook deliveries → the keys of the issues that changed.

Checks, in order: body size (413), ``X-Gitlab-Token`` against ``settings.webhook_secret`` in constant
time (401; no secret configured → not checked), then the event: ``Issue Hook`` and ``Note Hook`` (and
their ``Confidential`` variants) on issues give ``<project path>#<iid>``; every other event, and notes on
merge requests or snippets, are answered 200 and ignored. A body that is not a JSON object → 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okr_sync.connectors.base import WebhookEvent, WebhookRejected
from okr_sync.connectors.webhooks import check_size, check_token, header, json_body

ISSUE_EVENTS = frozenset({"Issue Hook", "Confidential Issue Hook"})
NOTE_EVENTS = frozenset({"Note Hook", "Confidential Note Hook"})


def parse_delivery(tracker: str, headers: Mapping[str, str], body: bytes, *, max_bytes: int,
                   secret: str | None) -> WebhookEvent:
    """Authenticate and parse one delivery, or raise :class:`WebhookRejected`."""
    check_size(body, max_bytes, tracker=tracker)
    check_token(header(headers, "X-Gitlab-Token"), secret, tracker=tracker, header_name="X-Gitlab-Token")
    event = header(headers, "X-Gitlab-Event") or ""
    if event not in ISSUE_EVENTS | NOTE_EVENTS:
        return WebhookEvent(tracker, frozenset(), event or "(no X-Gitlab-Event)", ignored=True)
    payload = json_body(body, tracker=tracker, expected=f"the JSON object of a GitLab {event}")
    if not isinstance(payload, dict):
        raise WebhookRejected(400, f"webhook {event}: the body is not a JSON object", tracker=tracker)
    key = _issue_key(payload, note=event in NOTE_EVENTS)
    if key is None:
        return WebhookEvent(tracker, frozenset(), event, ignored=True)
    return WebhookEvent(tracker, frozenset({key}), event)


def _issue_key(payload: dict[str, Any], *, note: bool) -> str | None:
    project = payload.get("project") or {}
    path = project.get("path_with_namespace") if isinstance(project, dict) else None
    attributes = payload.get("object_attributes") or {}
    if note:
        if not isinstance(attributes, dict) or attributes.get("noteable_type") != "Issue":
            return None
        issue = payload.get("issue") or {}
        iid = issue.get("iid") if isinstance(issue, dict) else None
    else:
        iid = attributes.get("iid") if isinstance(attributes, dict) else None
    if not path or not isinstance(iid, int | str) or not str(iid).isdigit():
        return None
    return f"{path}#{int(iid)}"
