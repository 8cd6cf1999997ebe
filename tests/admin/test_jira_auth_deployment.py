"""Issue 18: Jira auth per deployment (validate, the Cloud emulator, doctor) and paged field contexts/options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from okr_sync.cli.main import app
from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.jira import admin as jira_admin
from okr_sync.connectors.jira.connector import JiraConnector
from tests.contract.harness_jira import STATUS_OPTIONS, settings

BASE = Path(__file__).resolve().parents[1] / "config" / "base.yaml"


def _validate(tmp_path: Path, text: str) -> tuple[int, str]:
    config = tmp_path / "okr-sync.yaml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize(("url", "deployment"), [("https://jira.example.gov", "cloud"),
                                                 ("https://pge-gov.atlassian.net", "auto")])
def test_validate_rejects_a_bearer_token_for_cloud_with_the_fix(tmp_path: Path, url: str, deployment: str) -> None:
    text = BASE.read_text(encoding="utf-8").replace(
        "    url: https://jira.example.gov\n", f"    url: {url}\n    deployment: {deployment}\n")
    code, output = _validate(tmp_path, text)
    assert code == 2, output
    line = text.splitlines().index("    auth:") + 1
    assert f"okr-sync.yaml:{line}: trackers.jira.auth:" in output
    assert "kind: basic, user: <your e-mail>, token: <API token" in output


def test_validate_accepts_basic_for_cloud_and_a_token_for_server(tmp_path: Path) -> None:
    base = BASE.read_text(encoding="utf-8")
    url = "    url: https://jira.example.gov\n"
    cloud = base.replace(url, url + "    deployment: cloud\n")
    cloud = cloud.replace("      kind: token\n      token: jira-secret-token-123",
                          "      kind: basic\n      user: okr-bot@pge.example.gov\n      token: jira-secret-token-123")
    assert _validate(tmp_path, cloud)[0] == 0
    server = base.replace(url, url + "    deployment: server\n")
    assert _validate(tmp_path, server)[0] == 0


def test_doctor_explains_a_refused_bearer_token_on_cloud(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", jira_deployment="cloud")
    conn = JiraConnector("jira", settings(sb.info["jira"], auth={"kind": "token", "token": sb.info["jira"]["token"]}),
                         sleep=lambda _: None)
    checks = jira_admin.doctor(conn, PullSpec(), {}, {})
    [failed] = [c for c in checks if c.level == "fail"]
    assert failed.topic == "credentials" and "rejected the credentials" in failed.detail
    assert "Jira Cloud takes an API token only with the account's e-mail" in failed.fix
    assert "kind: basic" in failed.fix and sb.info["jira"]["token"] not in failed.fix + failed.detail


def test_doctor_explains_a_401_on_server_with_a_personal_access_token(make_sandbox: Callable[..., Any]) -> None:
    sb = make_sandbox("empty", jira_deployment="server")
    conn = JiraConnector("jira", settings(sb.info["jira"], auth={"kind": "token", "token": "expired-pat"}),
                         sleep=lambda _: None)
    [failed] = [c for c in jira_admin.doctor(conn, PullSpec(), {}, {}) if c.level == "fail"]
    assert failed.topic == "credentials" and "personal access token" in failed.fix


def test_field_contexts_and_options_are_read_past_their_first_page(make_sandbox: Callable[..., Any],
                                                                  control_of: Callable[..., Any]) -> None:
    filler = [f"Legacy status {i:03d}" for i in range(130)]  # Cloud answers 100 options per page by default
    sb = make_sandbox({"jira": {"deployment": "Cloud", "fields": [
        {"name": "OKR Progress", "type": "number"}, {"name": "OKR Forecast", "type": "number"},
        {"name": "OKR Status", "type": "select", "options": filler + STATUS_OPTIONS}]}})
    conn = JiraConnector("jira", settings(sb.info["jira"]), sleep=lambda _: None)
    control = control_of(sb)
    control.reset_requests()
    assert jira_admin.setup_plan(conn, {}) == [], "every status option exists (past the first page): nothing to create"
    pages = control.requests()["by_route"]["GET /jira/rest/api/2/field/{fieldId}/context/{contextId}/option"]
    assert pages >= 2 and pages % 2 == 0  # every listing reads both pages of 135 options
    by_topic = {c.topic: c for c in jira_admin.doctor(conn, PullSpec(), {}, {})}
    assert by_topic["options of OKR Status"].level == "ok"
