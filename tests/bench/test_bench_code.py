"""Fast checks of the benchmark code itself (bench/): the synthetic set-up is valid and loads in the
sandbox as described, the theoretical minimum is computed as documented, the page renders."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from bench.efficiency import minimum_writes, scopes
from bench.report import render
from bench.synthetic import Shape, config, fixture, kr_ids
from okr_sync.cli.demo import demo_environment
from okr_sync.config.load import load_config
from okr_sync.connectors.base import Write
from okr_sync.mapping import HomeItem
from okr_sync.sandbox.server import Sandbox

SMALL = Shape(items=250, krs=10, plan_size=40)


def test_shape_splits_items_krs_and_plans() -> None:
    assert SMALL.per_tracker(250) == {"jira": 100, "gitlab": 100, "planner": 50}
    assert SMALL.plans() == 2 and scopes(SMALL) == {"jira": 1, "gitlab": 1, "planner": 2}
    ids = kr_ids(SMALL)
    assert [len(ids[t]) for t in ("jira", "gitlab", "planner")] == [4, 4, 2]
    assert ids["jira"][0] == "O0-KR0" and ids["planner"][-1] == "O1-KR9"


def test_synthetic_fixture_loads_and_configuration_validates(tmp_path: Path) -> None:
    with Sandbox(fixture(SMALL)) as sandbox:
        state = sandbox.snapshot()
        path = tmp_path / "okr-sync.yaml"
        path.write_text(yaml.safe_dump(config(SMALL, f"sqlite:///{tmp_path / 's.db'}")))
        settings = load_config(path, environ={**os.environ, **demo_environment(sandbox.info)}).settings
    jira_keys = [i["key"] for i in state["jira"]["issues"]]
    assert sum(k.startswith("BEN-") for k in jira_keys) == 100 and sum(k.startswith("BKR-") for k in jira_keys) == 4
    assert len(state["gitlab"]["issues"]) == 100 + 4
    assert len(state["planner"]["tasks"]) == 50 + 2  # two work plans of ≤ 40 tasks, one plan of homes
    assert sum(len(o.key_results) for o in settings.objectives) == 10
    assert all(kr.home is not None for o in settings.objectives for kr in o.key_results)
    assert settings.trackers["planner"].scope.plans == ["benchPlan0000000000000000000", "benchPlan0000000000000000001"]


def test_minimum_writes_counts_the_fewest_requests_per_home() -> None:
    a, b = HomeItem("jira", "BKR-1"), HomeItem("jira", "BKR-2")
    jira = [Write(a, "field OKR Progress", None, 1), Write(a, "field OKR Status", None, 2),
            Write(a, "status comment", None, "x"), Write(b, "field OKR Progress", None, 1)]
    assert minimum_writes("jira", jira) == 3  # one PUT for a's fields + its comment; one PUT for b
    g = HomeItem("gitlab", "bench/okr#1")
    assert minimum_writes("gitlab", [Write(g, "status label", None, "x"), Write(g, "status block", None, "y"),
                                     Write(g, "check-in 2026-W48", None, "z")]) == 2
    p = HomeItem("planner", "hT1")
    assert minimum_writes("planner", [Write(p, "percentComplete", 1, 2), Write(p, "status category", None, "x"),
                                      Write(p, "status block", None, "y")]) == 2
    assert minimum_writes("planner", []) == 0


def test_report_renders_missing_sections_as_not_measured() -> None:
    page = render({})
    assert page.startswith("# Benchmarks") and "not measured yet" in page and "## Scale" in page
