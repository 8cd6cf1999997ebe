"""KR discovery from Jira issues of type "Key Result", merged with the YAML definitions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.models import DiscoverRule, Settings
from okr_sync.connectors.jira.connector import JiraConnector
from okr_sync.engine.discovery import merge_with_config
from okr_sync.mapping import HomeItem
from tests.contract.harness_jira import JiraSite, settings

FIELDS = {"objective": "Objective", "baseline": "KR Baseline", "target": "KR Target", "kind": "KR Kind",
          "id": "KR Id", "unit": "KR Unit"}


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest, make_sandbox: Callable[..., Any]) -> Iterator[JiraSite]:
    s = JiraSite(make_sandbox("empty", jira_deployment=request.param))
    for name in ("Objective", "KR Kind", "KR Id", "KR Unit"):
        s.create_field(name, "string")
    for name in ("KR Baseline", "KR Target"):
        s.create_field(name, "number")
    yield s
    s.close()


def kr_issue(site: JiraSite, summary: str, **values: Any) -> str:
    return site.create_issue(summary, kind="Key Result",
                             **{site.field_id(FIELDS[role]) or role: value for role, value in values.items()})


def test_key_result_issues_become_krs_and_incomplete_ones_are_reported(site: JiraSite) -> None:
    full = kr_issue(site, "Raise recovered debt", objective="OBJ1", baseline=40, target=52, kind="value",
                    id="OBJ1-KR1", unit="million")
    keyed = kr_issue(site, "Raise satisfaction", objective="OBJ2", baseline=3.1, target=4.2, kind="Quality")
    incomplete = kr_issue(site, "Half defined", objective="OBJ3", baseline=1)
    odd_kind = kr_issue(site, "Odd", objective="OBJ3", baseline=1, target=2, kind="vibes")
    site.create_issue("Ordinary work")  # not a Key Result: not read
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    found, problems = conn.discover(DiscoverRule(tracker="jira", fields=FIELDS))
    by_id = {kr.id: kr for kr in found}
    assert set(by_id) == {"OBJ1-KR1", keyed}  # no id field value: the issue key is the id
    kr1 = by_id["OBJ1-KR1"]
    assert (kr1.title, kr1.objective_ids, kr1.kind, kr1.baseline, kr1.target, kr1.unit) == \
        ("Raise recovered debt", ("OBJ1",), "value", 40.0, 52.0, "million")
    assert kr1.home == HomeItem("jira", full) and by_id[keyed].kind == "quality"
    assert {p.subject for p in problems} == {incomplete, odd_kind}
    assert any("lacks target" in p.message for p in problems)


def test_merge_reports_conflicts_and_adds_new_krs(site: JiraSite) -> None:
    kr_issue(site, "Raise recovered debt", objective="OBJ1", baseline=40, target=55, kind="value", id="OBJ1-KR1")
    kr_issue(site, "New one", objective="OBJ1", baseline=0, target=10, kind="value", id="OBJ1-KR9")
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    found, _ = conn.discover(DiscoverRule(tracker="jira", jql='issuetype = "Key Result"', fields=FIELDS))
    config = Settings.model_validate({
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Recover debt", "key_results": [
            {"id": "OBJ1-KR1", "title": "Raise recovered debt", "measure": {"type": "metric", "baseline": 40,
                                                                             "target": 52}}]}]})
    added, conflicts = merge_with_config(config, found)
    assert [kr.id for kr in added] == ["OBJ1-KR9"]
    assert len(conflicts) == 1 and "target is 52.0 in okr-sync.yaml but 55.0 in jira " in conflicts[0]


def test_unknown_discovery_field_suggests_names(site: JiraSite) -> None:
    conn = JiraConnector("jira", settings(site.info), sleep=lambda _: None)
    with pytest.raises(ConfigurationError) as caught:
        conn.discover(DiscoverRule(tracker="jira", fields={**FIELDS, "target": "KR Targt"}), index=0)
    assert "discover.0.fields.target" in str(caught.value) and "'KR Target'" in str(caught.value)
