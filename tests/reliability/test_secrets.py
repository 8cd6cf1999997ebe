"""Secrets never leave (issue 12): tokens, client secrets and webhook secrets appear nowhere.

A realistic run over the demo — ``okr-sync validate/once/plan/status --json`` and plain output, a run
whose GitLab URL carries credentials and cannot connect, a daemon with JSON logs (the product's own
formatter, at DEBUG, libraries included) receiving good and bad webhooks, and tracker faults that make
error messages — is captured in full; then every captured byte, every table of the state store and every
recorded problem is searched for each configured secret (and for the password in the URL).
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from okr_sync.cli.main import app
from okr_sync.connectors.redact import redact
from okr_sync.daemon.logs import JsonFormatter
from tests.reliability.figures import Figures
from tests.sync.crash_harness import environment, write_config

pytestmark = pytest.mark.reliability

WEBHOOK_SECRETS = {"jira": "jira-webhook-Secret-7f3a9", "gitlab": "gitlab-webhook-Secret-91b2c"}
CLIENT_STATE = "planner-client-State-55d1e"
URL_PASSWORD = "url-Pass-word-0c4d2"


def configured(sb: Any, tmp_path: Path, name: str, *, listen: str = "127.0.0.1:0") -> tuple[Path, dict[str, str]]:
    """The demo configuration with webhook secrets, as the product reads it; its environment."""
    path = write_config(tmp_path / f"{name}.yaml", trackers={"jira", "gitlab", "planner", "azure_devops"},
                        state_url=f"sqlite:///{tmp_path / (name + '.db')}", listen=listen, interval="1h")
    config = yaml.safe_load(path.read_text())
    for tracker, secret in WEBHOOK_SECRETS.items():
        config["trackers"][tracker]["webhook_secret"] = secret
    config["trackers"]["planner"]["webhook_client_state"] = CLIENT_STATE
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, environment(sb.info)


def secrets_of_run(sb: Any) -> dict[str, str]:
    info = sb.info
    return {"jira token": info["jira"]["token"], "gitlab token": info["gitlab"]["token"],
            "planner client secret": info["planner"]["client_secret"],
            "azure devops PAT": info["azure_devops"]["pat"], "jira webhook": WEBHOOK_SECRETS["jira"],
            "gitlab webhook": WEBHOOK_SECRETS["gitlab"], "planner client state": CLIENT_STATE,
            "password in a URL": URL_PASSWORD}


def dump_store(db: Path) -> str:
    """Every row of every table, as text."""
    with sqlite3.connect(db) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(f"{table}: {row!r}" for table in tables for row in conn.execute(f'SELECT * FROM "{table}"'))


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_no_configured_secret_appears_anywhere(make_sandbox: Any, control_of: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, figures: Figures) -> None:
    sb = make_sandbox("demo")
    control = control_of(sb)
    secrets = secrets_of_run(sb)
    path, env = configured(sb, tmp_path, "secrets")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    captured: list[str] = []
    runner = CliRunner()

    # 1. the CLI, plain and --json, with tracker faults producing error messages
    control.fault("GET /jira/rest/api/2/search/jql", "503", times=2)
    control.fault("PUT /gitlab/*", "drop", times=1)
    for args in (["validate"], ["validate", "--json"], ["plan", "--json"], ["once", "--json"],
                 ["status", "--json"], ["status"]):
        result = runner.invoke(app, [*args, "--config", str(path)])
        captured += [result.output, repr(result.exception)]
        assert result.exit_code in (0, 1), (args, result.output[-2000:])

    # 2. a tracker URL with credentials that cannot be reached (port 9 on this machine: refused)
    config = yaml.safe_load(path.read_text())
    config["trackers"]["gitlab"]["url"] = f"http://okr-bot:{URL_PASSWORD}@127.0.0.1:9/gitlab"
    config["trackers"]["gitlab"]["max_retry_time"] = "1s"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(config, sort_keys=False))
    for args in (["once", "--json"], ["once"], ["validate", "--json"]):
        result = runner.invoke(app, [*args, "--config", str(broken)])
        captured += [result.output, repr(result.exception)]
        assert result.exit_code in (0, 1, 3), result.output[-2000:]
    assert '"exit_code": 3' in captured[-6], "the unreachable tracker should have been reported (exit 3)"

    # 3. the daemon with the product's JSON logs at DEBUG (library loggers included)
    from okr_sync.config.load import load_config
    from okr_sync.daemon.service import Daemon
    from okr_sync.engine.runtime import open_connectors, secrets_of
    from okr_sync.store.state import StateStore

    settings = load_config(path).settings
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets_of(settings)))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    store = StateStore.open(settings.state.url)
    daemon = Daemon(settings, store, open_connectors(settings), secrets=secrets_of(settings))
    try:
        daemon.start()
        deadline = time.monotonic() + 120
        while daemon.cycles_done < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        base = f"http://{daemon.address}/webhooks"
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "PGE-3"}}).encode()
        for headers in ({"X-Hub-Signature": "sha256=" + "0" * 64}, {}):
            captured.append(str(_post(f"{base}/jira", body, headers)))
        captured.append(str(_post(f"{base}/gitlab", b"{}", {"X-Gitlab-Token": "wrong",
                                                            "X-Gitlab-Event": "Issue Hook"})))
        captured.append(str(_post(f"{base}/planner", b'{"value": [{"clientState": "x"}]}', {})))
        with urllib.request.urlopen(f"http://{daemon.address}/metrics", timeout=10) as response:
            captured.append(response.read().decode())
    finally:
        daemon.stop()
        store.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
    logs = stream.getvalue()
    assert '"okr-sync daemon started"' in logs.replace("\\", "") or "daemon started" in logs
    assert "webhook rejected" in logs
    captured.append(logs)

    # 4. the state store, every table, and everything recorded as a problem
    captured.append(dump_store(tmp_path / "secrets.db"))
    captured.append(dump_store(tmp_path / "broken.db") if (tmp_path / "broken.db").exists() else "")
    everything = "\n".join(captured)
    found = {name: everything.count(value) for name, value in secrets.items() if value in everything}
    assert found == {}, f"secrets leaked: {found}"
    figures.add("secrets", "secrets", len(secrets))
    figures.add("secrets", "bytes", len(everything.encode()))
    figures.add("secrets", "found", sum(found.values()))


@pytest.mark.parametrize("text", [
    "https://okr-bot:{s}@jira.example.gov/rest/api/2",
    "postgresql+psycopg://okr:{s}@db.internal:5432/okr",
    "GET https://gitlab.example.gov/api/v4/projects?private_token={s}&page=2",
    "Authorization: Bearer {s}",
    "PRIVATE-TOKEN: {s}",
    "X-Gitlab-Token={s}",
    "token endpoint answered for client_secret={s}",
    "the configured value {s} was rejected",
], ids=["url-userinfo", "database-url", "private-token-query", "bearer-header", "private-token-header",
        "gitlab-webhook-header", "client-secret-query", "bare-secret"])
def test_redaction_masks_credentials(text: str) -> None:
    secret = "s3cr3t-Value-42"
    shown = redact(text.format(s=secret), [secret])
    assert secret not in shown and "***" in shown
