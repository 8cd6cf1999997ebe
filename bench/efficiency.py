"""API efficiency: requests a sync makes per tracker, divided by the theoretical minimum.

One engine (as in the daemon: connectors kept between cycles) runs a first sync, an idle sync, then an
incremental sync after ``k`` changed work items per tracker for each ``k``, then an idle sync again.
Requests are counted by the sandbox (``/_sandbox/requests``).

The theoretical minimum of a sync, per tracker, is ⌈items/page size⌉ list reads per scope (at least
one per scope; for an incremental sync, items = the changed ones) plus the writes needed: for every
home item whose planned writes are not empty, the fewest requests that can carry them — Jira: one
PUT for all fields + one request per comment; GitLab: one PUT for labels and description + one per
note; Planner: one PATCH of the task (percent, categories) + one PATCH of its details (description).
Reading the home items (to diff against what people may have edited) is not in the minimum.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Any

from bench.harness import Setup
from bench.synthetic import Shape
from bench.trackers import Trackers
from okr_sync.engine.report import CycleReport

PAGE = {"jira": 100, "gitlab": 100, "planner": 100}
TASK_LEVEL = {"percentComplete", "status category"}


def scopes(shape: Shape) -> dict[str, int]:
    """Scopes (list endpoints) per tracker in the synthetic configuration."""
    return {"jira": 1, "gitlab": 1, "planner": shape.plans()}


def minimum_writes(tracker: str, planned: list[Any]) -> int:
    """The fewest requests that carry ``planned`` writes (see the module docstring)."""
    by_home: dict[Any, set[str]] = defaultdict(set)
    for write in planned:
        by_home[write.home].add(write.target)
    needed = 0
    for targets in by_home.values():
        if tracker == "jira":
            fields = {t for t in targets if t.startswith("field ")}
            needed += (1 if fields else 0) + len(targets - fields)
        elif tracker == "gitlab":
            issue = {t for t in targets if t in ("status label", "status block")}
            needed += (1 if issue else 0) + len(targets - issue)
        else:
            task = targets & TASK_LEVEL
            needed += (1 if task else 0) + (1 if targets - TASK_LEVEL else 0)
    return needed


def _figures(setup: Setup, report: CycleReport, changed: dict[str, int], seconds: float) -> dict[str, Any]:
    counts = setup.sandbox.per_tracker()
    result: dict[str, Any] = {"seconds": round(seconds, 3)}
    for tracker in setup.trackers:
        outcome = report.trackers[tracker]
        pages = sum(max(1, math.ceil(n / PAGE[tracker])) for n in _split(changed[tracker], scopes(setup.shape)[tracker],
                                                                          setup.shape.plan_size))
        writes_min = minimum_writes(tracker, outcome.planned)
        made = counts[tracker]
        homes_changed = len({w.home for w in outcome.planned})
        result[tracker] = {
            "calls": made["total"], "reads": made["reads"], "writes": made["writes"],
            "minimum": pages + writes_min, "minimum_reads": pages, "minimum_writes": writes_min,
            "ratio": round(made["total"] / (pages + writes_min), 3),
            "homes_written": homes_changed,
            "writes_per_changed_kr": round(made["writes"] / homes_changed, 2) if homes_changed else 0.0,
            "items_pulled": outcome.items, "error": str(outcome.error) if outcome.error else None,
            "by_route": made["by_route"],
        }
    return result


def _split(items: int, scope_count: int, plan_size: int) -> list[int]:
    """Items per scope (Planner plans fill up to ``plan_size`` in order)."""
    if scope_count == 1:
        return [items]
    return [max(0, min(plan_size, items - p * plan_size)) for p in range(scope_count)]


def run(shape: Shape, ks: tuple[int, ...] = (1, 10, 100, 1000)) -> dict[str, Any]:
    """First, idle and incremental syncs over ``shape``; figures per scenario and tracker."""
    results: dict[str, Any] = {"shape": {"items": shape.per_tracker(shape.items), "krs": shape.per_tracker(shape.krs),
                                         "plans": shape.plans()}}
    with Setup(shape) as setup:
        trackers = Trackers(setup.sandbox.info, shape)
        engine = setup.engine()

        def cycle(label: str, changed: dict[str, int]) -> None:
            setup.sandbox.reset_requests()
            began = time.perf_counter()
            report = engine.cycle()
            results[label] = _figures(setup, report, changed, time.perf_counter() - began)
            print(f"  {label}: " + ", ".join(f"{t} {results[label][t]['calls']}/{results[label][t]['minimum']}"
                                            for t in setup.trackers), flush=True)

        cycle("first", shape.per_tracker(shape.items))
        cycle("idle", dict.fromkeys(setup.trackers, 0))
        for k in ks:
            trackers.next_round()
            krs_touched = {t: trackers.change(t, k) for t in setup.trackers}
            cycle(f"incremental_{k}", {t: min(k, trackers.counts[t]) for t in setup.trackers})
            results[f"incremental_{k}"]["krs_touched"] = krs_touched
        cycle("idle_after", dict.fromkeys(setup.trackers, 0))
    return results
