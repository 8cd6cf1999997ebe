"""Writing an emulator's JSON answer (shared by the GitLab and Graph emulators)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Response


def json_reply(environ: dict[str, Any], start_response: Callable[..., Any], status: int, body: Any,
               headers: Mapping[str, str], content_type: str) -> Iterable[bytes]:
    """Answer ``body`` as JSON with ``content_type``; no body (204) means no Content-Type either."""
    response = Response(None if body is None else json.dumps(body), status=status, headers=dict(headers))
    if body is not None:
        response.headers["Content-Type"] = content_type
    else:
        response.headers.pop("Content-Type", None)
    return response(environ, start_response)
