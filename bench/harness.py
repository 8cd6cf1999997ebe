"""Running okr-sync's engine against a sandbox of a synthetic shape, and reading the sandbox's counters.

The sandbox runs in a process of its own (``python -m sandbox --fixture <json>``), so the engine's
and the emulators' CPU are not mixed in one interpreter's timings, and counts come from the sandbox's
control API (``/_sandbox/requests``) — what the trackers would see, retries included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.synthetic import Shape, config, fixture
from okr_sync.cli.demo import demo_environment
from okr_sync.config.load import load_config
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.store.state import StateStore

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the engine's fixed "now": statuses don't drift between cycles
MOUNTS = {"jira": "/jira", "gitlab": "/gitlab", "planner": "/graph/v1.0"}


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """One JSON request with urllib (no retries); returns the decoded body (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - loopback sandbox only
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback sandbox only
        raw = response.read()
    return json.loads(raw) if raw else None


class SandboxProcess:
    """``python -m sandbox`` serving a fixture file on free loopback ports; ``info`` once ready."""

    def __init__(self, fixture_data: dict[str, Any] | str, workdir: Path) -> None:
        self.workdir = workdir
        if isinstance(fixture_data, str):
            self.fixture = fixture_data
        else:
            path = workdir / "fixture.json"
            path.write_text(json.dumps(fixture_data))
            self.fixture = str(path)
        self.info_path = workdir / "sandbox-info.json"
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.startup_seconds = 0.0

    def __enter__(self) -> SandboxProcess:
        started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "sandbox", "--port", "0", "--fixture", self.fixture, "--info", str(self.info_path)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not self.info_path.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the sandbox exited at start: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.02)
        self.startup_seconds = time.perf_counter() - started
        self.info = json.loads(self.info_path.read_text())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def control(self) -> str:
        """The control API's URL."""
        return str(self.info["control"])

    def requests(self) -> dict[str, Any]:
        """The sandbox's request counters."""
        return http("GET", self.control + "/requests")  # type: ignore[no-any-return]

    def reset_requests(self) -> None:
        """Zero the request counters."""
        http("POST", self.control + "/requests/reset")

    def per_tracker(self) -> dict[str, dict[str, Any]]:
        """Counters split by tracker: ``{tracker: {"total", "writes", "reads", "by_route"}}``."""
        counts = self.requests()
        result: dict[str, dict[str, Any]] = {}
        for tracker, mount in MOUNTS.items():
            routes = Counter({route: n for route, n in counts["by_route"].items() if _under(route, mount)})
            faulted = sum(n for route, n in counts["faulted"].items() if _under(route, mount))
            writes = sum(n for route, n in routes.items() if not route.startswith("GET "))
            total = sum(routes.values()) + faulted
            result[tracker] = {"total": total, "writes": writes, "reads": total - writes, "by_route": dict(routes)}
        return result


def _fit_config_limits(size: int) -> bool:
    """Raise ``config.source``'s size/value caps in THIS process when a synthetic configuration exceeds
    them (5,000 KRs need ~1 MB); returns whether it had to. The benchmark reports it: a real 5,000-KR
    installation would hit the same caps."""
    from okr_sync.config import source

    if size <= getattr(source, "MAX_CONFIG_BYTES", size):
        return False
    source.MAX_CONFIG_BYTES = 4 * size  # type: ignore[attr-defined]
    if hasattr(source, "MAX_VALUES"):
        source.MAX_VALUES = 10 * source.MAX_VALUES
    return True


def _under(route: str, mount: str) -> bool:
    """Whether a counter key ``"<METHOD> <path>"`` is a request to the emulator mounted at ``mount``."""
    return route.split(" ", 1)[1].startswith(mount)


class Setup:
    """A synthetic shape served by a sandbox process, with its okr-sync configuration and state store."""

    def __init__(self, shape: Shape, state_url: str | None = None, *, trackers: tuple[str, ...] | None = None) -> None:
        self.shape = shape
        self.trackers = trackers or ("jira", "gitlab", "planner")
        self._tmp = tempfile.TemporaryDirectory(prefix="okr-bench-")
        self.workdir = Path(self._tmp.name)
        self.state_url = state_url or f"sqlite:///{self.workdir / 'state.db'}"
        self.sandbox = SandboxProcess(fixture(shape), self.workdir)

    def __enter__(self) -> Setup:
        self.sandbox.__enter__()
        path = self.workdir / "okr-sync.yaml"
        path.write_text(yaml.safe_dump(config(self.shape, self.state_url, trackers=self.trackers), sort_keys=False,
                                       default_flow_style=None, width=200))
        self.config_bytes = path.stat().st_size
        self.limits_raised = _fit_config_limits(self.config_bytes)
        self.environ = {**os.environ, **demo_environment(self.sandbox.info)}
        self.settings = load_config(path, environ=self.environ).settings
        self.config_path = path
        self.store = StateStore.open(self.state_url)
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.close()
        self.sandbox.__exit__(*exc)
        self._tmp.cleanup()

    def engine(self) -> Engine:
        """A new engine with new connectors, as a new ``okr-sync once`` process would have."""
        return Engine(self.settings, self.store, open_connectors(self.settings), clock=lambda: NOW,
                      secrets=secrets_of(self.settings))
