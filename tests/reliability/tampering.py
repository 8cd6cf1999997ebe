"""A test-side wrapper around the real emulators that rewrites chosen responses (hostile tracker answers).

``Sandbox("demo", emulator_factories=tampering_factories())`` serves the real Jira, GitLab and Graph
emulators; :func:`tamper` arms one rewrite: for requests whose method and emulator route template match,
the emulator's real answer (status, headers, body) goes through a function that returns the hostile one.
The emulator still handles the request (state changes happen as they would), only the answer changes.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from okr_sync.sandbox.server import EMULATORS, Sandbox

Answer = tuple[str, list[tuple[str, str]], bytes]
Rewrite = Callable[[Answer], Answer]


@dataclass
class Tamper:
    """Rewrite answers to ``method route`` (the emulator's route template, e.g. ``/rest/api/2/search/jql``)."""

    method: str
    route: str
    rewrite: Rewrite
    hits: int = 0


class TamperingEmulator:
    """Delegates to a real emulator; rewrites the answer when the armed :class:`Tamper` matches."""

    mount = "/"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tamper: Tamper | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured["status"], captured["headers"] = status, list(headers)
            return lambda _data: None

        chunks = self.inner(environ, capture)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        answer: Answer = (captured["status"], captured["headers"], body)
        tamper = self.tamper
        if tamper is not None and environ["REQUEST_METHOD"] == tamper.method \
                and environ.get("sandbox.route") == tamper.route:
            tamper.hits += 1
            answer = tamper.rewrite(answer)
        status, headers, body = answer
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def tampering_factories() -> dict[str, Callable[..., TamperingEmulator]]:
    """``emulator_factories`` wrapping each real emulator class, mounted where the real one is."""
    factories = {}
    for name, (module, class_name, mount) in EMULATORS.items():
        real = getattr(importlib.import_module(module), class_name)
        cls = type(f"Tampering{real.__name__}", (TamperingEmulator,), {"mount": getattr(real, "mount", mount)})
        factories[name] = lambda clock, section, _real=real, _cls=cls, **kw: _cls(_real(clock, section, **kw))
    return factories


def tamper(sb: Sandbox, tracker: str, method: str, route: str, rewrite: Rewrite) -> Tamper:
    """Arm a rewrite on ``tracker``'s emulator; returns it (``hits`` counts rewritten answers)."""
    armed = Tamper(method, route, rewrite)
    sb.emulators[tracker].tamper = armed
    return armed


def disarm(sb: Sandbox) -> None:
    """No more rewrites."""
    for emulator in sb.emulators.values():
        emulator.tamper = None


# --- rewrites -------------------------------------------------------------------------------------------


def json_edit(edit: Callable[[Any], Any]) -> Rewrite:
    """Apply ``edit`` to the parsed JSON body (it may mutate and return None, or return a new document)."""
    def rewrite(answer: Answer) -> Answer:
        status, headers, body = answer
        try:
            document = json.loads(body)
        except ValueError:
            return answer
        result = edit(document)
        return status, headers, json.dumps(document if result is None else result).encode()
    return rewrite


def raw(status: str | None = None, body: bytes = b"", content_type: str | None = None) -> Rewrite:
    """Replace the body (and optionally the status and content type) outright."""
    def rewrite(answer: Answer) -> Answer:
        old_status, headers, _ = answer
        if content_type is not None:
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", content_type)]
        return status or old_status, headers, body
    return rewrite


def truncated(keep: float = 0.5) -> Rewrite:
    """The real body cut short (a proxy that closed early)."""
    def rewrite(answer: Answer) -> Answer:
        status, headers, body = answer
        return status, headers, body[: max(1, int(len(body) * keep))]
    return rewrite
