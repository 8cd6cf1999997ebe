"""Webhook authentication shared by the connectors: size limit, shared-token and HMAC checks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from okr_sync.connectors.base import WebhookRejected


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup."""
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def check_size(body: bytes, max_bytes: int, *, tracker: str) -> None:
    """413 for bodies above the configured limit."""
    if len(body) > max_bytes:
        raise WebhookRejected(413, f"webhook body of {len(body)} bytes exceeds the limit of {max_bytes} bytes "
                                   "(server.max_body_bytes)", tracker=tracker)


def check_token(given: str | None, expected: str | None, *, tracker: str, header_name: str) -> None:
    """401 unless the shared token matches (constant time). No secret configured → accepted."""
    if expected is None:
        return
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        reason = "missing" if given is None else "wrong"
        raise WebhookRejected(401, f"webhook rejected: {reason} {header_name}", tracker=tracker)


def check_hmac_sha256(body: bytes, signature: str | None, secret: str | None, *, tracker: str,
                      header_name: str = "X-Hub-Signature") -> None:
    """401 unless ``signature`` is ``sha256=<hex HMAC of body>`` under ``secret`` (constant time)."""
    if secret is None:
        return
    if not signature:
        raise WebhookRejected(401, f"webhook rejected: missing {header_name}", tracker=tracker)
    algorithm, _, digest = signature.partition("=")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = digest.strip().lower().encode("utf-8", "replace")  # bytes: compare_digest refuses non-ASCII str
    if algorithm.lower() != "sha256" or not hmac.compare_digest(given, expected.encode()):
        raise WebhookRejected(401, f"webhook rejected: {header_name} does not match the body", tracker=tracker)


def json_body(body: bytes, *, tracker: str, expected: str) -> Any:
    """The parsed JSON of a delivery; 400 naming ``expected`` when it is not JSON (or nests absurdly deep)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" a million levels deep, within the size limit
        raise WebhookRejected(400, f"webhook body is not JSON; expected {expected}", tracker=tracker) from None
