"""Planner change deliveries in the shape of Microsoft Graph change notifications.

Graph v1.0 has no change notifications for Planner, so okr-sync polls; but a relay (a Power Automate
flow "when a task is updated", or Graph where it offers them) can post the notification shape
``{"value": [{"clientState": …, "changeType": …, "resource": "planner/tasks/<id>",
"resourceData": {"id": "<id>"}}]}`` to trigger a cycle sooner. Every notification must carry the
configured ``webhook_client_state`` (compared in constant time), as Graph subscribers check it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from okr_sync.connectors.base import WebhookEvent, WebhookRejected
from okr_sync.connectors.webhooks import check_size, json_body


def parse_notification(headers: Mapping[str, str], body: bytes, *, max_bytes: int, tracker: str,
                       client_state: str | None) -> WebhookEvent:
    """The tasks a verified delivery names; :class:`WebhookRejected` (413, 400, 401) otherwise."""
    check_size(body, max_bytes, tracker=tracker)
    document = json_body(body, tracker=tracker, expected='a Graph change notification {"value": [...]}')
    notes = document.get("value") if isinstance(document, dict) else None
    if not isinstance(notes, list) or not all(isinstance(n, dict) for n in notes):
        raise WebhookRejected(400, 'webhook body lacks the "value" list of a Graph change notification',
                              tracker=tracker)
    if client_state is not None:
        for note in notes:
            given = note.get("clientState")
            if not isinstance(given, str) or not hmac.compare_digest(given.encode(), client_state.encode()):
                reason = "missing" if given is None else "wrong"
                raise WebhookRejected(401, f"webhook rejected: {reason} clientState", tracker=tracker)
    keys = frozenset(key for note in notes if (key := _task_id(note)))
    kinds = sorted({str(note.get("changeType") or "updated") for note in notes})
    return WebhookEvent(tracker=tracker, keys=keys, event=",".join(kinds) or "none", ignored=not keys)


def _task_id(note: Mapping[str, Any]) -> str | None:
    resource = str(note.get("resource") or "")
    raw = note.get("resourceData")
    data: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    parts = [p for p in resource.replace("\\", "/").split("/") if p]
    if len(parts) >= 3 and parts[-3].lower() == "planner" and parts[-2].lower() == "tasks":
        return parts[-1]
    if "plannertask" in str(data.get("@odata.type", "")).lower() and data.get("id"):
        return str(data["id"])
    return None
