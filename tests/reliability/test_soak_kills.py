"""Crashes at random moments (issue 12, soak): 50+ SIGKILLs, seeded, on SQLite and PostgreSQL stores.

Per scenario (store × tracker) the real product runs as a process of its own (the crash suite's harness,
``tests/sync/crash_harness.py``: ``okr-sync``'s cycle with the W47 check-ins, ``OKRSYNC_NOW`` fixed) and
is SIGKILLed after a random delay drawn from a seeded generator — during imports, pulls, writes or the
store commit, wherever it lands — again and again on the same store; then it runs once undisturbed.
Expected, every time: the tracker state equals an uninterrupted run's (normalised), every okr-sync marker
occurs exactly once, the store is intact (SQLite ``integrity_check``; both: a further cycle reads it and
writes nothing). The kill-at-every-write-step matrix lives in ``tests/sync/test_crash_safety.py``.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from okr_sync.sandbox.server import Sandbox
from tests.conftest import SandboxControl
from tests.reliability.figures import Figures
from tests.store.conftest import PG_URL, RUN_ID, pg_admin  # noqa: F401 - pg_admin is a fixture used here
from tests.sync.crash_harness import (
    differences,
    environment,
    finish,
    marker_counts,
    normalised_state,
    start_cycle,
    write_config,
)

pytestmark = [pytest.mark.reliability, pytest.mark.soak]

SEED = 20261125
KILLS_PER_SCENARIO = 9  # 6 scenarios → 54 kills
MAX_STARTS = 24
TRACKERS = ("jira", "gitlab", "planner")
_schemas = itertools.count()
_references: dict[str, tuple[dict[str, Any], float]] = {}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, SandboxControl, Path]]:
    with Sandbox("demo") as sb:
        yield sb, SandboxControl(sb.control_url), tmp_path_factory.mktemp("kills")


def config_for(tmp: Path, tracker: str, state_url: str, name: str) -> Path:
    return write_config(tmp / f"{name}.yaml", trackers={tracker}, state_url=state_url)


def reference(demo: tuple[Sandbox, SandboxControl, Path], tracker: str) -> tuple[dict[str, Any], float]:
    """The uninterrupted run's normalised state, and how long the run took (the range of kill delays)."""
    sb, control, tmp = demo
    if tracker not in _references:
        control.reset()
        started = time.monotonic()
        finish(start_cycle("checkin", config_for(tmp, tracker, f"sqlite:///{tmp / f'ref-{tracker}.db'}",
                                                  f"ref-{tracker}"), environment(sb.info)))
        _references[tracker] = normalised_state(control.state(), {tracker}), time.monotonic() - started
    return _references[tracker]


def store_url(kind: str, tmp: Path, admin: psycopg.Connection | None, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    assert admin is not None
    schema = f"okrsync_{RUN_ID}_kills{next(_schemas)}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("tracker", TRACKERS)
def test_random_sigkills_leave_the_same_end_state(demo: Any, request: pytest.FixtureRequest, kind: str,
                                                  tracker: str, figures: Figures) -> None:
    sb, control, tmp = demo
    admin = request.getfixturevalue("pg_admin") if kind == "postgres" else None
    expected, duration = reference(demo, tracker)
    control.reset()
    name = f"kills-{kind}-{tracker}"
    url = store_url(kind, tmp, admin, name)
    config = config_for(tmp, tracker, url, name)
    env = environment(sb.info)
    draw = random.Random(f"{SEED}-{kind}-{tracker}")
    kills = starts = in_cycle = 0
    while kills < KILLS_PER_SCENARIO and starts < MAX_STARTS:
        before = control.requests()["total"]
        process = start_cycle("checkin", config, env)
        starts += 1
        time.sleep(draw.uniform(0.05, 1.1) * duration)
        if process.poll() is None:
            process.kill()
            kills += 1
            in_cycle += control.requests()["total"] > before  # it had reached the tracker: mid-cycle
        process.communicate(timeout=60)
    assert kills >= KILLS_PER_SCENARIO * 2 // 3, f"only {kills} of {starts} runs were still running when killed"
    finish(start_cycle("checkin", config, env))
    state = control.state()
    lost = differences(expected, normalised_state(state, {tracker}))
    dupes = {m: n for m, n in marker_counts(state).items() if n > 1}
    assert not lost, f"after {kills} kills the end state differs from an uninterrupted run: {lost}"
    assert dupes == {}, f"duplicates after {kills} kills: {dupes}"
    if kind == "sqlite":
        with sqlite3.connect(tmp / f"{name}.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = finish(start_cycle("checkin", config, env))
    assert again["writes"] == 0, f"the store lost what was written: a further cycle wrote {again['writes']}"
    figures.add("kills", "kills", kills)
    figures.add("kills", "survived", kills)
    figures.add("kills", "mid_cycle", in_cycle)
    figures.add("kills", "duplicates", len(dupes))
    figures.add("kills", "lost_writes", len(lost))
    figures.note("kills", "scenarios", "SQLite and PostgreSQL × Jira, GitLab, Planner")
