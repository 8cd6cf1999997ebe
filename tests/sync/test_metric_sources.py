"""Issue 19: metric sources say what they sum, and a mistyped field is a problem of that KR only.

Through the engine with the real jira and python-gitlab libraries against the sandbox:
- ``sum_field`` reads done items only by default (``items: any`` adds open ones; cancelled never);
- a KR whose field Jira lacks gets a problem naming the KR's own key and a did-you-mean, while every
  other KR of the tracker still pulls, computes and is written (acceptance 3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from okr_sync.config.models import Settings
from okr_sync.connectors.gitlab.connector import GitLabConnector
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.engine.cycle import Engine
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.contract import harness_gitlab, harness_jira

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def kr(kr_id: str, home: dict[str, Any], measure: dict[str, Any]) -> dict[str, Any]:
    return {"id": kr_id, "title": f"Result {kr_id}", "home": home, "measure": measure}


def settings(tmp_path: Path, tracker: str, config: Any, krs: list[dict[str, Any]]) -> Settings:
    return Settings.model_validate({
        "state": {"url": f"sqlite:///{tmp_path / 's.db'}"}, "trackers": {tracker: config.model_dump()},
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Public money recovered", "why": "Schools",
                        "key_results": krs}]})


def cycle(config: Settings, connectors: dict[str, Any]) -> Any:
    store = StateStore.open(config.state.url)
    try:
        return Engine(config, store, connectors, clock=lambda: NOW).cycle()
    finally:
        store.close()
        for connector in connectors.values():
            connector.close()


def metric(field: str, target: float = 1000.0, **source: Any) -> dict[str, Any]:
    return {"type": "metric", "baseline": 0, "target": target, "source": {"tracker": "t", field: "Recovered",
                                                                          **source}}


def test_jira_sum_reads_done_items_and_a_mistyped_field_stops_only_its_kr(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    site = harness_jira.JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    try:
        site.okr_fields()
        field = site.create_field("Recovered", "number")
        homes = [site.create_issue(f"KR {n}", kind="Key Result") for n in range(3)]
        for amount, done in ((100, True), (50, False), (25, True)):
            key = site.create_issue(f"Recover {amount}", labels=["kr:OBJ1-KR1", "kr:OBJ1-KR2", "kr:OBJ1-KR3"],
                                    **{field: amount})
            if done:
                site.transition(key, "Done")
        tracker = harness_jira.settings(site.info)
        done_only, open_too, typo = (metric("sum_field"), metric("sum_field", items="any"),
                                     {**metric("sum_field"), "source": {"tracker": "t", "sum_field": "Recoverd"}})
        config = settings(tmp_path, "t", tracker, [kr("OBJ1-KR1", {"tracker": "t", "key": homes[0]}, done_only),
                                                   kr("OBJ1-KR2", {"tracker": "t", "key": homes[1]}, open_too),
                                                   kr("OBJ1-KR3", {"tracker": "t", "key": homes[2]}, typo)])
        report = cycle(config, {"t": JiraConnector("t", tracker, sleep=lambda _: None)})
        statuses = report.computed.key_results
        assert statuses["OBJ1-KR1"].current == 125.0, "done items only: the open 50 is not recovered yet"
        assert statuses["OBJ1-KR1"].provenance.rule == "metric sum of Recovered over done items"
        assert statuses["OBJ1-KR2"].current == 175.0
        assert statuses["OBJ1-KR3"].current is None
        assert report.trackers["t"].items == 6 and report.writes > 0, "the other KRs still pull and write"
        assert report.problems == [
            "t: objectives[0].key_results[2].measure.source.sum_field (KR OBJ1-KR3): no Jira field named "
            "'Recoverd'; did you mean 'Recovered', 'Resolved', 'Reporter'? (name a field by its exact name or its id "
            "such as customfield_10010); until it is fixed that KR gets no value from Jira"]
        assert site.raw(homes[0])["fields"][site.field_id("OKR Progress")] == 12.5
    finally:
        site.close()


def test_gitlab_sum_reads_done_items_unless_any_is_asked(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    project = harness_gitlab.PROJECT
    issues = [{"project": project, "title": f"KR home {n}", "created_at": "2026-10-02T09:00:00Z"} for n in range(2)]
    issues += [{"project": project, "title": f"Recover {amount}", "labels": ["kr::OBJ1-KR1", "kr::OBJ1-KR2",
                                                                          f"Recovered::{amount}"],
                "created_at": "2026-10-03T09:00:00Z", **({"state": "closed"} if done else {})}
               for amount, done in ((100, True), (50, False), (25, True))]
    sb = make_sandbox({"gitlab": {"users": [{"username": "okr-bot", "token": "sandbox-gitlab-token"}],
                                  "issues": issues}})
    tracker = harness_gitlab.settings_for(sb)
    config = settings(tmp_path, "t", tracker, [
        kr("OBJ1-KR1", {"tracker": "t", "project": project, "iid": 1}, metric("sum_field")),
        kr("OBJ1-KR2", {"tracker": "t", "project": project, "iid": 2}, metric("sum_field", items="any"))])
    report = cycle(config, {"t": GitLabConnector("t", tracker, sleep=harness_gitlab.NO_SLEEP)})
    assert report.computed.key_results["OBJ1-KR1"].current == 125.0
    assert report.computed.key_results["OBJ1-KR2"].current == 175.0
    assert report.problems == []


def test_doctor_checks_every_field_a_krs_measure_reads(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from okr_sync.cli.doctor import run_doctor

    site = harness_jira.JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    try:
        site.okr_fields()
        site.create_field("Recovered", "number")
        home = site.create_issue("KR home", kind="Key Result")
        tracker = harness_jira.settings(site.info)
        typo = {**metric("sum_field"), "source": {"tracker": "t", "sum_field": "Recoverd"}}
        config = settings(tmp_path, "t", tracker, [kr("OBJ1-KR1", {"tracker": "t", "key": home}, metric("sum_field")),
                                                   kr("OBJ1-KR2", {"tracker": "t", "key": home}, typo)])
        checks = {c.topic: c for c in run_doctor(config).checks}
    finally:
        site.close()
    assert checks["field Recovered"].level == "ok"
    bad = checks["field Recoverd"]
    assert bad.level == "fail"
    assert bad.detail.startswith("objectives[0].key_results[1].measure.source.sum_field (KR OBJ1-KR2): no Jira field "
                                 "named 'Recoverd'; did you mean 'Recovered'")
    assert bad.fix == ("run okr-sync setup jira --apply to create it, or correct "
                       "objectives[0].key_results[1].measure.source.sum_field (KR OBJ1-KR2)")


def test_setup_proposes_a_field_a_krs_measure_reads(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from okr_sync.cli.setup import run_setup

    site = harness_jira.JiraSite(make_sandbox("empty", jira_deployment="cloud"))
    try:
        site.okr_fields()
        home = site.create_issue("KR home", kind="Key Result")
        tracker = harness_jira.settings(site.info)
        config = settings(tmp_path, "t", tracker, [kr("OBJ1-KR1", {"tracker": "t", "key": home}, metric("sum_field"))])
        planned = run_setup(config, "jira", apply=False).planned["t"]
        assert [(s.action, s.target) for s in planned] == [("create field", "Recovered"), ("manual", "Recovered")]
        assert planned[0].detail == ("number custom field for objectives[0].key_results[0].measure.source.sum_field "
                                     "(KR OBJ1-KR1)")
        run_setup(config, "jira", apply=True)
        assert site.field_id("Recovered") is not None
    finally:
        site.close()
