"""Issue 19: a work item naming a KR id the configuration lacks is listed by ``once`` (text and JSON
``problems``) and by ``status``, on every tracker — through the engine, the real client libraries and the
sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from okr_sync.cli.views import cycle_table, status_table
from okr_sync.config.models import Settings
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.engine.cycle import Engine
from okr_sync.engine.domain import build_domain
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.contract import harness_gitlab, harness_jira, harness_planner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def run(tmp_path: Path, name: str, tracker: Any, connector: Any) -> tuple[Any, str, str]:
    settings = Settings.model_validate({
        "state": {"url": f"sqlite:///{tmp_path / 's.db'}"}, "trackers": {name: tracker.model_dump()},
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Faster permits", "why": "Time",
                        "key_results": [{"id": "OBJ1-KR1", "title": "Permits in 5 days",
                                         "measure": {"type": "completion"}}]}]})
    store = StateStore.open(settings.state.url)
    try:
        report = Engine(settings, store, {name: connector}, clock=lambda: NOW).cycle()
    finally:
        store.close()
        connector.close()
    console = Console(width=200, record=True)
    console.print(cycle_table(report))
    once_text = console.export_text()
    console = Console(width=200, record=True)
    console.print(status_table(build_domain(settings), report.computed, width=200))
    return report, " ".join(once_text.split()), " ".join(console.export_text().split())


def check(report: Any, once_text: str, status_text: str, tracker: str, key: str) -> None:
    line = f"1 item(s) name KR 'OBJ9-KR1', which okr-sync.yaml does not define: {key}; correct the KR id on " \
           "them or define the KR"
    assert f"{tracker}: {line}" in report.as_json()["problems"]
    assert report.exit_code == 1
    assert "OBJ9-KR1" in once_text
    assert f"{tracker}: {line}" in status_text


def test_gitlab(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    project = harness_gitlab.PROJECT
    sb = make_sandbox({"gitlab": {"users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"}], "issues": [
        {"project": project, "title": "Scan old permits", "labels": ["kr::OBJ9-KR1"],
         "created_at": "2026-10-02T09:00:00Z"}]}})
    tracker = harness_gitlab.settings_for(sb)
    check(*run(tmp_path, "gitlab", tracker, GitLabConnector("gitlab", tracker, sleep=harness_gitlab.NO_SLEEP)),
          "gitlab", f"{project}#1")


def test_jira(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    site = harness_jira.JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    try:
        site.okr_fields()
        key = site.create_issue("Scan old permits", labels=["kr:OBJ9-KR1"])
        tracker = harness_jira.settings(site.info)
        check(*run(tmp_path, "jira", tracker, JiraConnector("jira", tracker, sleep=lambda _: None)), "jira", key)
    finally:
        site.close()


def test_planner(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    plan = "planStray00000000000000000001"
    sb = make_sandbox({"planner": {"plans": [{"id": plan, "title": "Permits", "buckets": [{"name": "Backlog"}],
                                              "tasks": [{"id": "pTstray000000000000000000001",
                                                         "title": "[OBJ9-KR1] Scan old permits",
                                                         "bucket": "Backlog"}]}]}})
    tracker = harness_planner.settings_for(sb, scope={"plans": [plan]})
    connector = PlannerConnector("planner", tracker, sleep=harness_planner.NO_SLEEP)
    check(*run(tmp_path, "planner", tracker, connector), "planner", "pTstray000000000000000000001")
