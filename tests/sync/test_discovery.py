"""KRs defined as Jira issues join the YAML's OKRs in a sync; conflicts are reported (issue 6, discovery)."""

from __future__ import annotations

from typing import Any

from okr_sync.config.models import Settings
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import open_connectors
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.contract.harness_jira import JiraSite
from tests.contract.harness_jira import settings as jira_settings
from tests.sync.support import sqlite_url

FIELDS = {"objective": "Objective", "baseline": "KR Baseline", "target": "KR Target", "kind": "KR Kind", "id": "KR Id"}


def test_discovered_krs_are_synced_and_conflicts_reported(make_sandbox: Any, tmp_path: Any) -> None:
    site = JiraSite(make_sandbox("empty"))
    for name in ("Objective", "KR Kind", "KR Id"):
        site.create_field(name, "string")
    for name in ("KR Baseline", "KR Target", "OKR Progress", "OKR Forecast"):
        site.create_field(name, "number")
    new = site.create_issue("Answer 90% of requests in 5 days", kind="Key Result", **{
        site.field_id("Objective"): "OBJ1", site.field_id("KR Baseline"): 60, site.field_id("KR Target"): 90,
        site.field_id("KR Kind"): "value", site.field_id("KR Id"): "OBJ1-KR9"})
    site.create_issue("Recover debt", kind="Key Result", **{
        site.field_id("Objective"): "OBJ1", site.field_id("KR Baseline"): 40, site.field_id("KR Target"): 55,
        site.field_id("KR Kind"): "value", site.field_id("KR Id"): "OBJ1-KR1"})
    tracker = jira_settings(site.info).model_dump(mode="python")
    tracker["auth"]["token"] = site.info["token"]
    tracker["write"] = {"fields": {"progress": "OKR Progress", "forecast": "OKR Forecast"}}
    config = Settings.model_validate({
        "state": {"url": sqlite_url(tmp_path)},
        "trackers": {"jira": tracker},
        "cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "objectives": [{"id": "OBJ1", "cycle": "2026-Q4", "title": "Recover debt", "why": "Schools.",
                        "owner": "maria", "key_results": [
                            {"id": "OBJ1-KR1", "title": "Recover debt", "owner": "joao",
                             "measure": {"type": "metric", "baseline": 40, "target": 52}}]}],
        "discover": [{"tracker": "jira", "jql": 'issuetype = "Key Result"', "fields": FIELDS}],
    })
    store = StateStore.open(config.state.url)
    report = Engine(config, store, open_connectors(config), clock=lambda: AS_OF).cycle()
    assert report.computed is not None and "OBJ1-KR9" in report.computed.key_results
    assert any("target is 52.0 in okr-sync.yaml but 55.0 in jira " in p for p in report.problems)
    assert any(w.home.key == new for w in report.planned), "the discovered KR's home gets its status"
    store.close()
    site.close()
