"""Benchmark (``make bench`` / ``pytest -m bench``): 100,000 items committed in one pull and read back.

Prints wall and CPU seconds per step; the only assertions are about correctness, never about time.
Set ``OKRSYNC_BENCH_ITEMS`` to change the size.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from okr_sync.store.state import StateStore
from tests.store.factories import many

pytestmark = pytest.mark.bench

COUNT = int(os.environ.get("OKRSYNC_BENCH_ITEMS", "100000"))


def timed(label: str, step: Callable[[], Any], report: list[str]) -> Any:
    """Run ``step`` and note its wall and CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    report.append(f"{label:<34} wall {time.perf_counter() - wall:6.2f} s   cpu {time.process_time() - cpu:6.2f} s")
    return result


def test_bench_100k_items(store: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    # marked bench: deselected by default (pyproject addopts), selected by `pytest -m bench`
    items = many(COUNT, krs=500)
    report = [f"state store bench on {store.engine.dialect.name}, {COUNT} items"]
    affected = timed("first pull (all new)", lambda: store.commit_pull("jira", items, "w1"), report)
    assert len(affected) == 500
    assert timed("same pull again (nothing changed)", lambda: store.commit_pull("jira", items, "w2"), report) == set()
    changed = [dataclasses.replace(i, title="edited") if n % 101 == 0 else i for n, i in enumerate(items)]
    assert len(timed("pull with 1% changed", lambda: store.commit_pull("jira", changed, "w3"), report)) == 500
    small = changed[:50]
    timed("incremental pull of 50 items", lambda: store.commit_pull("jira", small, "w4"), report)
    back = timed("items()", store.items, report)
    assert len(back) == COUNT
    grouped = timed("items_by_kr() (all)", store.items_by_kr, report)
    assert sum(len(v) for v in grouped.values()) == COUNT
    some = timed("items_by_kr(10 KRs)", lambda: store.items_by_kr([f"KR{n}" for n in range(10)]), report)
    assert sum(len(v) for v in some.values()) == COUNT // 500 * 10
    half = changed[: COUNT // 2]
    assert timed("full reconcile deleting half", lambda: store.commit_pull("jira", half, "w5", full=True), report)
    assert len(store.items()) == COUNT // 2
    with capsys.disabled():
        print("\n" + "\n".join(report))
