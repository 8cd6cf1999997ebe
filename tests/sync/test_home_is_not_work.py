"""Issue 19: a KR's home item is never one of its own work items, on every tracker.

Through the engine with the real client libraries against the sandbox: the Planner home task kept in the
KR's own bucket, the GitLab home issue and the Jira home issue carrying the KR's link label. Before, the
Planner KR counted 2/5 instead of 2/4 and then fed okr-sync's own percentComplete back into itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from okr_sync.cli.doctor import run_doctor
from okr_sync.config.models import Settings
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.engine.cycle import Engine
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.contract import harness_gitlab, harness_jira
from tests.contract.harness_planner import CLIENT_STATE, NO_SLEEP, STATUS_LABELS

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PLAN = "planWork000000000000000000001"
HOME = "pTpermitshome0000000000000001"


def okrs(home: dict[str, Any]) -> dict[str, Any]:
    return {"cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Permits without queues", "why": "Time",
                            "key_results": [{"id": "OBJ1-KR2", "title": "Digital permit flow", "home": home,
                                             "measure": {"type": "completion"}}]}]}


def run_twice(settings: Settings, connect: Callable[[], dict[str, Any]]) -> list[Any]:
    reports = []
    for _ in range(2):
        store, connectors = StateStore.open(settings.state.url), connect()
        try:
            reports.append(Engine(settings, store, connectors, clock=lambda: NOW).cycle())
        finally:
            store.close()
            for connector in connectors.values():
                connector.close()
    return reports


def test_planner_home_task_in_the_krs_own_bucket_is_not_its_work(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    tasks = [{"id": HOME, "title": "OBJ1-KR2: Digital permit flow", "bucket": "KR OBJ1-KR2"}]
    tasks += [{"title": f"Step {n}", "bucket": "KR OBJ1-KR2", "percentComplete": 100 if n < 2 else 0,
               **({"completedDateTime": "2026-11-10T12:00:00Z"} if n < 2 else {})} for n in range(4)]
    sb = make_sandbox({"planner": {"plans": [{"id": PLAN, "title": "Permits", "categories": STATUS_LABELS,
                                              "buckets": [{"name": "KR OBJ1-KR2"}], "tasks": tasks}]}})
    info = sb.info["planner"]
    planner = {"kind": "planner", "tenant_id": info["tenant_id"], "client_id": info["client_id"],
               "auth": {"client_secret": info["client_secret"]}, "graph_url": info["graph_url"],
               "authority": info["authority"], "ca_cert": info["ca_cert"], "scope": {"plans": [PLAN]},
               "link": [{"bucket": "KR {kr}"}], "timeout": 5, "max_retry_time": "20s",
               "webhook_client_state": CLIENT_STATE}
    settings = Settings.model_validate({"state": {"url": f"sqlite:///{tmp_path / 's.db'}"},
                                        "trackers": {"planner": planner},
                                        **okrs({"tracker": "planner", "task": HOME})})
    reports = run_twice(settings, lambda: {"planner": PlannerConnector(
        "planner", settings.trackers["planner"], sleep=NO_SLEEP)})  # type: ignore[arg-type]
    for report in reports:
        status = report.computed.key_results["OBJ1-KR2"]
        assert status.progress == 0.5 and HOME not in status.provenance.item_keys
        assert len(status.provenance.item_keys) == 4
    assert next(t for t in sb.snapshot()["planner"]["tasks"] if t["id"] == HOME)["percentComplete"] == 50
    [check] = [c for c in run_doctor(settings).checks if c.topic == "KR OBJ1-KR2 home"]
    assert (check.tracker, check.level) == ("planner", "warn")
    assert check.detail == ("the home of KR OBJ1-KR2 ('OBJ1-KR2: Digital permit flow') matches a link rule of "
                            "that KR, as if it were one of its work items; okr-sync does not count it")


def test_gitlab_home_issue_with_the_krs_label_is_not_its_work(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    project = harness_gitlab.PROJECT
    issues = [{"project": project, "title": "KR home: digital permit flow", "labels": ["kr::OBJ1-KR2"],
               "created_at": "2026-10-02T09:00:00Z"}]
    issues += [{"project": project, "title": f"Step {n}", "labels": ["kr::OBJ1-KR2"],
                "created_at": "2026-10-03T09:00:00Z", **({"state": "closed"} if n < 2 else {})} for n in range(4)]
    sb = make_sandbox({"gitlab": {"users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"}],
                                  "issues": issues}})
    tracker = harness_gitlab.settings_for(sb)
    settings = Settings.model_validate({"state": {"url": f"sqlite:///{tmp_path / 's.db'}"},
                                        "trackers": {"gitlab": tracker.model_dump()},
                                        **okrs({"tracker": "gitlab", "project": project, "iid": 1})})
    reports = run_twice(settings, lambda: {"gitlab": GitLabConnector("gitlab", tracker, sleep=NO_SLEEP)})
    for report in reports:
        status = report.computed.key_results["OBJ1-KR2"]
        assert status.progress == 0.5 and f"{project}#1" not in status.provenance.item_keys
        assert len(status.provenance.item_keys) == 4


def test_jira_home_issue_with_the_krs_label_is_not_its_work(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    site = harness_jira.JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    site.okr_fields()
    home = site.create_issue("Digital permit flow", kind="Key Result", labels=["kr:OBJ1-KR2"])
    for n in range(4):
        key = site.create_issue(f"Step {n}", labels=["kr:OBJ1-KR2"])
        if n < 2:
            site.transition(key, "Done")
    tracker = harness_jira.settings(site.info)
    settings = Settings.model_validate({"state": {"url": f"sqlite:///{tmp_path / 's.db'}"},
                                        "trackers": {"jira": tracker.model_dump()},
                                        **okrs({"tracker": "jira", "key": home})})
    try:
        reports = run_twice(settings, lambda: {"jira": JiraConnector("jira", tracker, sleep=lambda _: None)})
    finally:
        site.close()
    for report in reports:
        status = report.computed.key_results["OBJ1-KR2"]
        assert status.progress == 0.5 and home not in status.provenance.item_keys
        assert len(status.provenance.item_keys) == 4
