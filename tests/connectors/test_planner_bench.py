"""Benchmark (``make bench``): pulling a large plan — request counts asserted, times printed, not asserted."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.connectors.base import PullSpec
from okr_sync.connectors.planner.connector import PlannerConnector
from okr_sync.sandbox.server import Sandbox
from tests.contract.harness_planner import NO_SLEEP, settings_for

PLAN = "benchPlan0000000000000000001"
TASKS = 3000


@pytest.mark.bench
def test_large_plan_pull_and_idle_cycle(make_sandbox: Callable[..., Sandbox], control_of: Callable[..., Any],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    tasks = [{"title": f"[OBJ{i % 5}-KR{i % 3}] task {i}", "percentComplete": (i * 37) % 101} for i in range(TASKS)]
    sb = make_sandbox({"planner": {"plans": [{"id": PLAN, "title": "OKR", "tasks": tasks}]}})
    control = control_of(sb)
    connector = PlannerConnector("planner", settings_for(sb, scope={"plans": [PLAN]}), sleep=NO_SLEEP)
    figures = []
    watermark = None
    for label in ("first pull", "idle cycle", "idle cycle (again)"):
        control.reset_requests()
        started = time.perf_counter()
        result = connector.pull(watermark, PullSpec())
        figures.append(f"{label}: {len(result.items)} items, {control.requests()['total']} requests, "
                       f"{time.perf_counter() - started:.2f} s")
        pages = -(-TASKS // 100)  # plus the plan's category names (blocked category) when tasks changed
        assert control.requests()["total"] == pages + (1 if label == "first pull" else 0)
        watermark = result.watermark
    connector.close()
    with capsys.disabled():
        print(f"\nPlanner, one plan of {TASKS} tasks: " + "; ".join(figures) +
              f"; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
