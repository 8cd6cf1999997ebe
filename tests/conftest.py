"""Shared fixtures: in-process tracker sandboxes on free ports on 127.0.0.1.

- ``sandbox`` (session): one sandbox with the ``demo`` fixture, started once. Tests that write to it
  must not rely on other tests' writes; call ``sandbox.reset()`` first when a test needs the pristine
  demo (it reloads the fixture, clears faults and counters).
- ``make_sandbox(fixture="empty", jira_deployment=None)`` (function): a fresh sandbox per call,
  started, and always stopped at the end of the test. ``jira_deployment`` is ``"cloud"`` or
  ``"server"``.
- ``stub_sandbox``: a sandbox whose three emulators are minimal contract stubs (:class:`StubEmulator`),
  for tests of the core itself (counting, faults, control) independent of the real emulators.
- ``control_of(sb)`` → :class:`SandboxControl`, a small client of the control API (counters, faults,
  clock, state) over HTTP, as a script would use it.

Nothing here skips: a missing emulator module is an error that names the file, in CI and locally.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okr_sync.sandbox.server import Sandbox


class SandboxControl:
    """Client of a sandbox's ``/_sandbox`` control API (see sandbox/README.md)."""

    def __init__(self, control_url: str) -> None:
        self.url = control_url.rstrip("/")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def requests(self) -> dict[str, Any]:
        """``{"total", "writes", "by_route", "faulted", "identity"}``."""
        return self._call("GET", "/requests")  # type: ignore[no-any-return]

    def count(self, route: str) -> int:
        """Requests answered by an emulator under ``"<METHOD> <mount><template>"``."""
        return int(self.requests()["by_route"].get(route, 0))

    def reset_requests(self) -> None:
        """Zero every counter."""
        self._call("POST", "/requests/reset")

    def fault(self, route: str, kind: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (``probability``, ``every``, ``times``, ``retry_after``, ...); returns it."""
        return self._call("POST", "/faults", {"route": route, "kind": kind, **rule})  # type: ignore[no-any-return]

    def faults(self) -> dict[str, Any]:
        """Rules and injection counts."""
        return self._call("GET", "/faults")  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/faults")

    def set_clock(self, now: str, *, frozen: bool = False) -> dict[str, Any]:
        """Move the sandbox clock to ``now`` (ISO 8601)."""
        return self._call("POST", "/clock", {"now": now, "frozen": frozen})  # type: ignore[no-any-return]

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward."""
        return self._call("POST", "/clock", {"advance": seconds})  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        """Every emulator's snapshot by tracker name."""
        return self._call("GET", "/state")  # type: ignore[no-any-return]

    def reset(self) -> None:
        """Reload the fixture, clear faults and counters."""
        self._call("POST", "/reset")


class StubEmulator:
    """A minimal emulator per the sandbox contract: ``GET/POST /items``, ``GET/PATCH /items/{id}``.

    It sets ``environ["sandbox.route"]``, stamps writes with ``clock.tick()`` and keeps its
    fixture section's ``items`` as initial state, so reset and state can be observed.
    """

    mount = "/stub"

    def __init__(self, clock: Any, fixture: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.clock = clock
        self.kwargs = kwargs
        self.items: list[dict[str, Any]] = list((fixture or {}).get("items", []))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        parts = [p for p in path.split("/") if p]
        status, body = "200 OK", None
        if parts == ["items"]:
            environ["sandbox.route"] = "/items"
            if method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                item = json.loads(environ["wsgi.input"].read(length) or b"{}")
                item["id"] = len(self.items) + 1
                item["updated"] = self.clock.tick().isoformat()
                self.items.append(item)
                status, body = "201 Created", item
            else:
                body = {"items": self.items}
        elif len(parts) == 2 and parts[0] == "items":
            environ["sandbox.route"] = "/items/{id}"
            found = [i for i in self.items if str(i.get("id")) == parts[1]]
            status, body = ("200 OK", found[0]) if found else ("404 Not Found", {"message": "no such item"})
        else:
            status, body = "404 Not Found", {"message": f"no route {path}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                                ("Content-Length", str(len(data)))])
        return [data]

    def snapshot(self) -> dict[str, Any]:
        """The stub's items (and a plan list, as the Graph emulator would have)."""
        return {"items": self.items, "plans": [{"id": "plan-okr", "title": "OKR"}]}


def stub_factories() -> dict[str, type[StubEmulator]]:
    """Emulator classes for a stubbed sandbox, mounted where the real ones are."""
    return {
        "jira": type("JiraStub", (StubEmulator,), {"mount": "/jira"}),
        "gitlab": type("GitLabStub", (StubEmulator,), {"mount": "/gitlab"}),
        "planner": type("GraphStub", (StubEmulator,), {"mount": "/graph/v1.0"}),
    }


@pytest.fixture
def stubs() -> dict[str, type[StubEmulator]]:
    """``emulator_factories`` for a :class:`~sandbox.server.Sandbox` of stub emulators."""
    return stub_factories()


@pytest.fixture
def stub_sandbox() -> Iterator[Sandbox]:
    """A started sandbox with stub emulators; its fixture gives Jira two items."""
    fixture = {"jira": {"items": [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]}}
    with Sandbox(fixture, emulator_factories=stub_factories()) as sb:
        yield sb


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """The shared demo sandbox (session-scoped)."""
    with Sandbox("demo") as sb:
        yield sb


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory of fresh sandboxes, each stopped when the test ends."""
    started: list[Sandbox] = []

    def make(fixture: Any = "empty", jira_deployment: str | None = None, **kwargs: Any) -> Sandbox:
        sb = Sandbox(fixture, jira_deployment=jira_deployment, **kwargs)
        started.append(sb)
        return sb.start()

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture(scope="session")
def control_of() -> Callable[[Sandbox], SandboxControl]:
    """``control_of(sb)`` → a :class:`SandboxControl` for that sandbox."""
    return lambda sb: SandboxControl(sb.control_url)
