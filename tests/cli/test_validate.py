"""`okr-sync validate` on the admin example (examples/okr-sync.yaml, a contract) and on broken inputs (issue 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okr_sync.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okr-sync.yaml"
ENV = {"JIRA_TOKEN": "t1", "JIRA_WEBHOOK_SECRET": "t2", "GITLAB_TOKEN": "t3", "GITLAB_WEBHOOK_SECRET": "t4",
       "PLANNER_CLIENT_SECRET": "t5"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OKRSYNC_CONFIG", raising=False)


def test_admin_example_is_valid(env: None) -> None:
    result = CliRunner().invoke(app, ["validate", "--config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert ("valid — 3 tracker(s) (jira, gitlab, planner), 1 cycle(s), 2 objective(s), 5 KR(s), 1 warning(s)"
            in result.output)
    assert "OBJ1-KR3 is a deliverable" in result.output


def test_admin_example_json_summary(env: None) -> None:
    result = CliRunner().invoke(app, ["validate", "--config", str(EXAMPLE), "--json"])
    data = json.loads(result.stdout)
    assert data["summary"] == {"trackers": {"jira": "jira", "gitlab": "gitlab", "planner": "planner"},
                               "cycles": 1, "objectives": 2, "key_results": 5}
    assert [w["path"] for w in data["warnings"]] == ["objectives.0.key_results.2.kind"]


def test_missing_variable_is_named(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    result = CliRunner().invoke(app, ["validate", "--config", str(EXAMPLE)])
    assert result.exit_code == 2
    assert f"{EXAMPLE}:23: trackers.jira.auth.token: environment variable JIRA_TOKEN is not set" in result.output
    assert "Traceback" not in result.output


def test_config_from_environment_variable(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRSYNC_CONFIG", str(EXAMPLE))
    assert CliRunner().invoke(app, ["validate"]).exit_code == 0


def test_environment_overrides_a_setting(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRSYNC_SCHEDULE__INTERVAL", "never")
    result = CliRunner().invoke(app, ["validate", "--config", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "schedule.interval: 'never' is not a duration" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "configuration file not found; create it or pass --config PATH (or set OKRSYNC_CONFIG)"),
        ("", "the configuration file is empty; start from examples/okr-sync.yaml"),
        ("trackers: [\n", "malformed YAML: expected the node content, but found '<stream end>'"),
        ("- just\n- a list\n", "the top level must be a mapping of sections"),
        (b"\xff\xfe bad", "is not UTF-8 text"),
        ("DIR", "is a directory, not a configuration file; pass the YAML file itself with --config"),
    ],
    ids=["missing", "empty", "malformed", "list", "binary", "directory"],
)
def test_unreadable_files_give_one_clear_line(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "okr-sync.yaml"
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = CliRunner().invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2 and message in lines[0], lines
    assert "Traceback" not in result.output


def test_help_imports_no_tracker_library() -> None:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "okr_sync.cli.main", "--help"],
                          capture_output=True, text=True, env=env, check=True)
    assert "validate" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    heavy = {name for name in imported if name.split(".")[0] in {"jira", "gitlab", "msgraph", "azure", "sqlalchemy"}}
    assert heavy == set()
    assert "typer" in imported
