"""The one watermark envelope every connector stores: versioned, compact, stable JSON.

What a watermark holds is each tracker's own (Jira: newest ``updated`` and the items seen in the overlap;
GitLab: the same per scope; Planner: the ETag of every task). How it is written and read is shared: a
JSON object with ``"v"``, keys sorted, no spaces; anything absent, unreadable or of another version reads
as None — "no knowledge", so the connector reads everything in scope, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

VERSION = 1


def encode(body: Mapping[str, Any]) -> str:
    """The stored string for a watermark body (its keys beside ``"v"``)."""
    return json.dumps({**body, "v": VERSION}, sort_keys=True, separators=(",", ":"), default=str)


def decode(text: str | None) -> dict[str, Any] | None:
    """The body of a stored watermark, or None when there is none or it cannot be read."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("v") == VERSION else None
