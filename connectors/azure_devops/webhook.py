"""Azure DevOps service-hook deliveries → the ids of the work items that changed.

Checks, in order: body size (413); the hook's basic credentials (``Authorization: Basic``, compared in
constant time with ``webhook_username`` / ``webhook_password``; 401 — no password configured → not checked);
then the event: ``workitem.created``, ``workitem.updated``, ``workitem.commented``, ``workitem.restored`` and
``workitem.deleted`` give the work item id (``resource.workItemId`` for updates, ``resource.id`` otherwise);
every other event is answered 200 and ignored. A body that is not a JSON object → 400.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any

from okr_sync.connectors.base import WebhookEvent, WebhookRejected
from okr_sync.connectors.webhooks import check_size, header, json_body

EVENTS = frozenset({"workitem.created", "workitem.updated", "workitem.commented", "workitem.restored",
                    "workitem.deleted"})


def parse_delivery(tracker: str, headers: Mapping[str, str], body: bytes, *, max_bytes: int,
                   username: str | None, password: str | None) -> WebhookEvent:
    """Authenticate and parse one delivery, or raise :class:`WebhookRejected`."""
    check_size(body, max_bytes, tracker=tracker)
    if password is not None:
        _check_basic(header(headers, "Authorization"), username or "", password, tracker=tracker)
    payload = json_body(body, tracker=tracker, expected="the JSON object of an Azure DevOps service hook")
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "service hook: the body is not a JSON object", tracker=tracker)
    event = str(payload.get("eventType") or "")
    if event not in EVENTS:
        return WebhookEvent(tracker, frozenset(), event or "(no eventType)", ignored=True)
    item_id = _item_id(payload.get("resource"), updated=event == "workitem.updated")
    if item_id is None:
        return WebhookEvent(tracker, frozenset(), event, ignored=True)
    return WebhookEvent(tracker, frozenset({str(item_id)}), event)


def _check_basic(given: str | None, username: str, password: str, *, tracker: str) -> None:
    if not given or not given.lower().startswith("basic "):
        raise WebhookRejected(401, "webhook rejected: missing basic credentials (set them in the service hook)",
                              tracker=tracker)
    try:
        user, _, secret = base64.b64decode(given[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        raise WebhookRejected(401, "webhook rejected: unreadable basic credentials", tracker=tracker) from None
    same_user = hmac.compare_digest(user.encode(), username.encode())
    same_secret = hmac.compare_digest(secret.encode(), password.encode())
    if not (same_user and same_secret):
        raise WebhookRejected(401, "webhook rejected: wrong basic credentials", tracker=tracker)


def _item_id(resource: Any, *, updated: bool) -> int | None:
    if not isinstance(resource, dict):
        return None
    value = resource.get("workItemId") if updated else resource.get("id")
    if updated and value is None and isinstance(resource.get("revision"), dict):
        value = resource["revision"].get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
