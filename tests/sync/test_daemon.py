"""The daemon (``okr-sync run``): health, readiness, metrics, webhooks, graceful SIGTERM, JSON logs.

In-process tests build the :class:`~okr_sync.daemon.service.Daemon` exactly as ``okr-sync run`` does (configuration
file, state store, connectors against the demo sandbox) and talk to it over HTTP on a free port. The
SIGTERM and log tests run the real ``okr-sync run`` process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from okr_sync.config.load import load_config
from okr_sync.daemon.service import Daemon
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.conftest import SandboxControl
from tests.sync.crash_harness import environment, write_config
from tests.sync.crash_proxy import TrackerProxy
from tests.sync.replica_harness import Churn, DaemonProcess

HOOK_SECRET = "jira-hook-secret-5f1c9a"
GITLAB_HOOK_SECRET = "gitlab-hook-secret-77ad0e"
DEBOUNCE = 1.0
MAX_BODY = 4096


def daemon_config(tmp_path: Path, sandbox: Sandbox, *, base_url: str | None = None,
                  interval: str = "5m") -> tuple[Path, dict[str, str]]:
    """Jira + GitLab demo configuration with webhook secrets, a 1 s debounce and a 4 KiB body limit."""
    config = write_config(
        tmp_path / "okr-sync.yaml", trackers={"jira", "gitlab"}, state_url=f"sqlite:///{tmp_path / 'state.db'}",
        interval=interval, debounce=f"{int(DEBOUNCE)}s",
        extra={"server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY}},
        tracker_settings={"jira": {"webhook_secret": "${JIRA_HOOK_SECRET}"},
                          "gitlab": {"webhook_secret": "${GITLAB_HOOK_SECRET}"}})
    env = {**environment(sandbox.info, base_url), "JIRA_HOOK_SECRET": HOOK_SECRET,
           "GITLAB_HOOK_SECRET": GITLAB_HOOK_SECRET}
    return config, env


class RecordedDaemon(Daemon):
    """The daemon, noting when each cycle started and for which trackers (observation only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cycle_starts: list[tuple[float, frozenset[str]]] = []
        cycle = self.engine.cycle

        def recorded(**options: Any) -> Any:
            self.cycle_starts.append((time.monotonic(), frozenset(options.get("only") or ())))
            return cycle(**options)

        self.engine.cycle = recorded  # type: ignore[method-assign]


@pytest.fixture
def demo(make_sandbox: Any) -> Sandbox:
    """A fresh demo sandbox."""
    return make_sandbox("demo")  # type: ignore[no-any-return]


@pytest.fixture
def daemon(demo: Sandbox, tmp_path: Path) -> Iterator[RecordedDaemon]:
    """An in-process daemon over the demo's Jira and GitLab, not started yet."""
    config, env = daemon_config(tmp_path, demo)
    settings = load_config(config, environ=env).settings
    store = StateStore.open(settings.state.url)
    connectors = open_connectors(settings)
    made = RecordedDaemon(settings, store, connectors, secrets=secrets_of(settings), clock=lambda: AS_OF)
    yield made
    if made.server is not None and not made.stopping.is_set():
        made.stop()
    for connector in connectors.values():
        connector.close()
    store.close()


def call(address: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One HTTP request to the daemon: (status, body)."""
    request = urllib.request.Request(f"http://{address}{path}", data=body, headers=headers or {},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(address: str, timeout: float = 120) -> None:
    """Poll ``/readyz`` until 200."""
    deadline = time.monotonic() + timeout
    while call(address, "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "daemon not ready"
        time.sleep(0.05)


def signed(body: bytes, secret: str = HOOK_SECRET) -> dict[str, str]:
    """Headers of a Jira webhook delivery signed with ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha256={digest}"}


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels`` (Prometheus text exposition)."""
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    values = [float(line.rpartition(" ")[2]) for line in text.splitlines()
              if not line.startswith("#") and line.split("{")[0].split(" ")[0] == name
              and wanted <= set(re.findall(r'\w+="[^"]*"', line.rpartition(" ")[0]))]
    assert values, f"no sample {name} with {labels} in /metrics"
    return sum(values)


def test_readiness_health_and_metrics(daemon: RecordedDaemon, demo: Sandbox, control_of: Any) -> None:
    before = Client(daemon.wsgi)
    not_ready = before.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json == {"ready": False, "cycles": 0}
    assert before.get("/healthz").status_code == 503, "no loop runs before start()"

    daemon.start()
    wait_ready(daemon.address)
    status, text = call(daemon.address, "/healthz")
    health = json.loads(text)
    assert status == 200 and health["status"] == "ok" and health["loop_alive"] and health["cycles"] >= 1
    assert health["held"] == ["gitlab", "jira"], "on SQLite the only process holds every scope"

    status, text = call(daemon.address, "/metrics")
    written = control_of(demo).requests()["writes"]
    assert status == 200 and written > 0
    assert metric(text, "okr_sync_cycles_total", tracker="jira") == 1
    assert metric(text, "okr_sync_cycles_total", outcome="ok") == 2, "both trackers' first cycle went well"
    counted = metric(text, "okr_sync_writes_total", tracker="jira") + metric(text, "okr_sync_writes_total",
                                                                             tracker="gitlab")
    assert counted >= written, "every write request carries at least one counted write"
    assert metric(text, "okr_sync_api_calls_total", tracker="gitlab") > 0
    assert metric(text, "okr_sync_cycle_duration_seconds_count") == 1
    assert sum(metric(text, "okr_sync_key_results", status=s)
               for s in ("not_started", "on_track", "at_risk", "off_track", "done")) == 11
    assert "okr_sync_errors_total" in text and "okr_sync_freshness_lag_seconds" in text
    assert call(daemon.address, "/nowhere")[0] == 404

    daemon.stop()
    assert Client(daemon.wsgi).get("/readyz").status_code == 503, "a stopping daemon is not ready"


def test_webhooks_trigger_a_debounced_cycle_of_that_tracker_and_reject_bad_deliveries(
        daemon: RecordedDaemon, demo: Sandbox, control_of: Any) -> None:
    control = control_of(demo)
    daemon.start()
    wait_ready(daemon.address)
    churn = Churn(demo.info, control.state())
    churn.change_once()
    writes_before, cycles_before = control.requests()["writes"], len(daemon.cycle_starts)

    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": churn.jira_key}}).encode()
    for _ in range(3):  # a burst: one cycle
        delivered = time.monotonic()
        status, text = call(daemon.address, "/webhooks/jira", body, signed(body))
        assert status == 202 and json.loads(text) == {"accepted": True, "items": 1}
    deadline = time.monotonic() + 30
    while daemon.cycles_done < cycles_before + 1 or control.requests()["writes"] == writes_before:
        assert time.monotonic() < deadline, "no cycle after the webhook"
        time.sleep(0.05)
    started, trackers = daemon.cycle_starts[cycles_before]
    assert trackers == {"jira"}
    # not before the burst was quiet for the debounce; soon after it (slack for a loaded 2-core machine)
    assert DEBOUNCE - 0.1 <= started - delivered <= DEBOUNCE + 2.0, f"cycle began {started - delivered:.2f} s after"
    assert control.requests()["by_route"].get("PUT /jira/rest/api/2/issue/{issueIdOrKey}", 0) >= 1

    rejected = [
        call(daemon.address, "/webhooks/jira", body, signed(body, "wrong-secret")),
        call(daemon.address, "/webhooks/jira", body, {"Content-Type": "application/json"}),
        call(daemon.address, "/webhooks/jira", b"x" * (MAX_BODY + 1), signed(b"x" * (MAX_BODY + 1))),
        call(daemon.address, "/webhooks/nope", body, signed(body)),
        call(daemon.address, "/webhooks/gitlab", b"{}", {"X-Gitlab-Token": "not-the-token"}),
    ]
    assert [status for status, _ in rejected] == [401, 401, 413, 404, 401]
    assert "no tracker named 'nope'" in rejected[3][1]
    time.sleep(3 * DEBOUNCE + 0.5)
    assert len(daemon.cycle_starts) == cycles_before + 1, "a rejected delivery started a cycle"
    metrics = call(daemon.address, "/metrics")[1]
    assert metric(metrics, "okr_sync_webhooks_total", tracker="jira", result="accepted") == 3
    assert metric(metrics, "okr_sync_webhooks_total", tracker="jira", result="rejected_401") == 2
    assert metric(metrics, "okr_sync_webhooks_total", tracker="jira", result="too_large") == 1
    # regression: the lag runs from the burst's first delivery, so it includes the debounce wait (it used
    # to start when the debounce had already passed and showed only the cycle's duration)
    lag = metric(metrics, "okr_sync_freshness_lag_seconds", tracker="jira")
    assert started - delivered <= lag < 30


@pytest.mark.reliability
def test_sigterm_finishes_the_write_in_flight_then_exits_0_and_logs_hold_no_secret(
        demo: Sandbox, tmp_path: Path) -> None:
    control = SandboxControl(demo.control_url)
    control.fault("GET /gitlab/api/v4/projects/*/issues", "503", times=2)  # errors get logged too
    proxy = TrackerProxy(demo.control_url.rsplit("/_sandbox", 1)[0]).start()
    proxy.hold(3, "after")  # the daemon's first cycle: its third write lands, its answer is held
    config, env = daemon_config(tmp_path, demo, base_url=proxy.url)
    process = DaemonProcess("solo", config, env)
    try:
        address = process.wait_started()
        assert proxy.held.wait(120), "the first cycle never reached its third write"
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "PGE-3"}}).encode()
        assert call(address, "/webhooks/jira", body, signed(body, HOOK_SECRET[::-1]))[0] == 401  # logged
        process.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert process.process.poll() is None, "the daemon must finish the write in flight before exiting"
        threading.Timer(0.2, proxy.release).start()
        assert process.process.wait(60) == 0
        with pytest.raises(OSError):  # the HTTP server is closed after exit
            call(address, "/healthz")
    finally:
        process.stop()
        proxy.stop()
    records = proxy.journal.snapshot()
    home_of = [r.path.split("/")[6] for r in records]  # /jira/rest/api/2/issue/<KEY>[/comment]
    assert control.requests()["writes"] == len(records) >= 3
    assert set(home_of[2:]) == {home_of[2]}, f"after SIGTERM only the home in flight is finished: {home_of}"
    messages = [r.get("message") for r in process.records]
    assert messages[-1] == "okr-sync daemon stopped"
    assert all(line.startswith("{") for line in process.lines), "every log line is JSON"
    secrets = [HOOK_SECRET, GITLAB_HOOK_SECRET, demo.info["jira"]["token"], demo.info["gitlab"]["token"]]
    leaked = [s for s in secrets for line in process.lines if s in line]
    assert leaked == []
    assert any(r.get("message") == "webhook rejected" and r.get("status") == 401 for r in process.records)
