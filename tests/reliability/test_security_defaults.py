"""Security defaults (issue 12): TLS verified unless explicitly turned off (and then a warning), webhooks
refused without credentials when a secret is set and a loud warning when none is, a non-root container.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner
from urllib3.exceptions import InsecureRequestWarning

from okr_sync.cli.main import app
from okr_sync.config.errors import AuthError, SyncError
from okr_sync.config.load import load_config
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.gitlab.settings import GitLabTracker
from okr_sync.connectors.jira.settings import JiraTracker
from okr_sync.connectors.planner.settings import PlannerTracker
from okr_sync.connectors.registry import connector_class
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from tests.reliability.support import SleepLog
from tests.sync.crash_harness import environment, write_config
from tests.sync.support import demo_settings, sqlite_url

pytestmark = pytest.mark.reliability
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("model", [JiraTracker, GitLabTracker, PlannerTracker], ids=["jira", "gitlab", "planner"])
def test_tls_verification_is_on_by_default(model: type[Any]) -> None:
    assert model.model_fields["verify_tls"].default is True
    assert model.model_fields["timeout"].default <= 60, "a request without a bounded timeout can hang a cycle"


def tls_settings(sb: Any, tmp_path: Path, tracker: str, *, verify: bool) -> Any:
    """``tracker`` pointed at the sandbox's HTTPS identity endpoint (a self-signed certificate)."""
    config = write_config(tmp_path / "tls.yaml", trackers={"jira", "gitlab"}, state_url=sqlite_url(tmp_path))
    settings = load_config(config, environ=environment(sb.info)).settings
    return settings.trackers[tracker].model_copy(update={
        "url": sb.info["planner"]["authority"] + "/" + tracker, "verify_tls": verify,
        "max_retry_time": timedelta(seconds=2)})


@pytest.mark.parametrize("tracker", ["jira", "gitlab"])
def test_an_unverifiable_certificate_stops_the_tracker_and_says_what_to_do(
        sandbox: Any, tmp_path: Path, tracker: str) -> None:
    settings = tls_settings(sandbox, tmp_path, tracker, verify=True)
    sleep = SleepLog()
    connector = connector_class(settings.kind)(tracker, settings, sleep=sleep)
    with pytest.raises(AuthError) as refused:
        connector.pull(None, PullSpec())
    connector.close()
    assert "certificate could not be verified" in str(refused.value) and "ca_cert" in str(refused.value)
    assert sleep.waits == [], "a certificate that cannot be verified is not transient: it must not be retried"
    assert connector.requests_made == 1


@pytest.mark.parametrize("tracker", ["jira", "gitlab"])
def test_verify_tls_false_really_turns_verification_off_and_warns(sandbox: Any, tmp_path: Path,
                                                                  tracker: str) -> None:
    settings = tls_settings(sandbox, tmp_path, tracker, verify=False)
    connector = connector_class(settings.kind)(tracker, settings, sleep=SleepLog())
    with pytest.warns(InsecureRequestWarning), pytest.raises(SyncError) as answered:
        connector.pull(None, PullSpec())
    connector.close()
    assert "certificate" not in str(answered.value), "with verify_tls: false the handshake must succeed"


def test_turning_tls_off_is_a_validation_warning(sandbox: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "off.yaml", trackers={"jira", "gitlab", "planner"},
                          state_url=sqlite_url(tmp_path))
    text = config.read_text().replace("    kind: gitlab\n", "    kind: gitlab\n    verify_tls: false\n", 1)
    config.write_text(text)
    for name, value in environment(sandbox.info).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert re.search(r"warning: .*trackers\.gitlab\.verify_tls: TLS verification is OFF", result.output), result.output


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def daemon_for(sb: Any, tmp_path: Path, *, secrets: bool, verify_tls: bool = True) -> Any:
    from okr_sync.daemon.service import Daemon
    from okr_sync.engine.runtime import open_connectors
    from okr_sync.store.state import StateStore

    base = demo_settings(sb, sqlite_url(tmp_path, f"daemon-{secrets}-{verify_tls}.db"))
    trackers = dict(base.trackers)
    if secrets:
        trackers["jira"] = trackers["jira"].model_copy(update={"webhook_secret": SecretStr("j-secret-1")})
        trackers["gitlab"] = trackers["gitlab"].model_copy(update={"webhook_secret": SecretStr("g-secret-2")})
        trackers["planner"] = trackers["planner"].model_copy(update={"webhook_client_state": SecretStr("p-state-3")})
    if not verify_tls:
        trackers["planner"] = trackers["planner"].model_copy(update={"verify_tls": False})
    settings = base.model_copy(update={
        "trackers": trackers,
        "schedule": base.schedule.model_copy(update={"interval": timedelta(hours=1)}),
        "server": base.server.model_copy(update={"listen": "127.0.0.1:0"}),
    })
    store = StateStore.open(settings.state.url)
    return Daemon(settings, store, open_connectors(settings), secrets=[], clock=lambda: AS_OF), store


def test_webhooks_with_a_secret_refuse_unauthenticated_calls(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    daemon, store = daemon_for(sb, tmp_path, secrets=True)
    daemon.start()
    try:
        base = f"http://{daemon.address}/webhooks"
        jira = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "PGE-3"}}'
        gitlab = b'{"project": {"path_with_namespace": "transparency/portal"}, "object_attributes": {"iid": 1}}'
        planner = b'{"value": [{"changeType": "updated", "resource": "planner/tasks/x"}]}'
        assert _post(f"{base}/jira", jira, {"Content-Type": "application/json"}) == 401
        assert _post(f"{base}/gitlab", gitlab, {"X-Gitlab-Event": "Issue Hook"}) == 401
        assert _post(f"{base}/planner", planner, {}) == 401
        assert _post(f"{base}/gitlab", gitlab, {"X-Gitlab-Event": "Issue Hook", "X-Gitlab-Token": "g-secret-2"}) == 202
    finally:
        daemon.stop()
        store.close()


def _start_warnings(sb: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, **kw: Any) -> list[str]:
    daemon, store = daemon_for(sb, tmp_path, **kw)
    with caplog.at_level(logging.WARNING, logger="okr_sync.daemon"):
        daemon.start()
        time.sleep(0.1)
    daemon.stop()
    store.close()
    return [r.getMessage() for r in caplog.records if r.name == "okr_sync.daemon" and r.levelno >= logging.WARNING]


def test_a_daemon_without_webhook_secrets_warns_loudly_at_start(make_sandbox: Any, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    messages = _start_warnings(make_sandbox("demo"), tmp_path, caplog, secrets=False, verify_tls=False)
    for tracker in ("jira", "gitlab"):
        assert any("WEBHOOKS UNAUTHENTICATED" in m and f"/webhooks/{tracker}" in m for m in messages), messages
    assert any("TLS VERIFICATION OFF" in m for m in messages), messages


def test_a_daemon_without_planner_client_state_warns_too(make_sandbox: Any, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    messages = _start_warnings(make_sandbox("demo"), tmp_path, caplog, secrets=False)
    assert any("/webhooks/planner" in m for m in messages), messages


def test_the_container_user_is_unprivileged() -> None:
    """Complements tests/admin/test_container.py: the USER is the one created with a non-zero uid."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    final = text[text.rfind("\nFROM "):]
    [user] = re.findall(r"^USER\s+(\S+)", final, re.M)
    name = user.split(":")[0]
    if name.isdigit():
        uid = int(name)
    else:
        created = re.search(r"useradd\b[^\n]*--uid\s+(\d+)[^\n]*\s" + re.escape(name) + r"(\s|$)", final, re.M)
        assert created is not None, f"USER {name} is not created in the runtime stage"
        uid = int(created.group(1))
    assert uid >= 1000, f"the runtime user has uid {uid}; use an unprivileged uid (≥ 1000)"
    assert not re.search(r"^USER\s+(root|0)\b", final[final.index("USER"):], re.M)
    assert "chmod 777" not in text and "--privileged" not in text
