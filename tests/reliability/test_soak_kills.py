"""Crashes at random moments (issue 12, soak): 50+ SIGKILLs, seeded, on SQLite and PostgreSQL stores.

Per scenario (store × tracker) the real product runs as a process of its own (the crash suite's harness,
``tests/sync/crash_harness.py``: ``okr-sync``'s cycle with the W47 check-ins, ``OKRSYNC_NOW`` fixed) and
is SIGKILLed after a random delay drawn from a seeded generator — during imports, pulls, writes or the
store commit, wherever it lands — again and again on the same store; then it runs once undisturbed.
Between two starts a person edits one of the tracker's KR home items (issue 26; ``tests/sync/home_edits.py``:
okr-sync's own field overwritten, its status removed, or a new manual value typed by the KR owner — kinds
drawn from the same seeded generator, each kind at least once), so kills also land after a pull that
saw an edit and before the home was read. Expected, every time: the tracker state equals an uninterrupted
run's with the same edits (pristine, cycle, every edit, cycle; normalised), every okr-sync marker occurs
exactly once, the store is intact (SQLite ``integrity_check``; both: a further cycle reads it and writes
nothing). ``OKRSYNC_SOAK_KILLS`` sets the kills per scenario (default 9). The kill-at-every-write-step
matrix lives in ``tests/sync/test_crash_safety.py``, the kills at fixed points after a pull in
``tests/sync/test_crash_home_edits.py``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
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
from tests.sync.home_edits import (
    KINDS,
    SKIPPED,
    Person,
    jira_basic_auth,
    people_with_bot_owners,
    without_typing_times,
)

pytestmark = [pytest.mark.reliability, pytest.mark.soak]

SEED = 20261125
KILLS_PER_SCENARIO = int(os.environ.get("OKRSYNC_SOAK_KILLS", "9"))  # 6 scenarios → 54 kills by default
MAX_STARTS = KILLS_PER_SCENARIO * 8 // 3
TRACKERS = ("jira", "gitlab", "planner")
_schemas = itertools.count()
_references: dict[str, tuple[dict[str, Any], float]] = {}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, SandboxControl, Path]]:
    with Sandbox("demo") as sb:
        yield sb, SandboxControl(sb.control_url), tmp_path_factory.mktemp("kills")


def config_for(tmp: Path, tracker: str, state_url: str, name: str, info: dict[str, Any]) -> Path:
    """``tracker`` alone, with the people directory and Jira account the person's edits need."""
    return write_config(tmp / f"{name}.yaml", trackers={tracker}, state_url=state_url,
                        extra={"people": people_with_bot_owners(info, [tracker])},
                        tracker_settings={"jira": jira_basic_auth(info)} if tracker == "jira" else None)


def reference(demo: tuple[Sandbox, SandboxControl, Path], tracker: str) -> tuple[dict[str, Any], float]:
    """The uninterrupted run's normalised state with every kind of home edit made after a first cycle,
    and how long a first cycle took (the range of kill delays)."""
    sb, control, tmp = demo
    if tracker not in _references:
        control.reset()
        config = config_for(tmp, tracker, f"sqlite:///{tmp / f'ref-{tracker}.db'}", f"ref-{tracker}", sb.info)
        started = time.monotonic()
        finish(start_cycle("checkin", config, environment(sb.info)))
        duration = time.monotonic() - started
        Person(sb.info).edit_all((tracker,))
        finish(start_cycle("checkin", config, environment(sb.info)))
        _references[tracker] = without_typing_times(normalised_state(control.state(), {tracker})), duration
    return _references[tracker]


def unified(expected: Any, actual: Any, lines: int = 60) -> str:
    """The first ``lines`` lines of a unified diff of two normalised states (for assertion messages)."""
    def text(value: Any) -> list[str]:
        return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).replace("\\n", "\n").splitlines()

    return "\n".join(list(difflib.unified_diff(text(expected), text(actual), "uninterrupted", "after kills",
                                                lineterm="", n=1))[:lines])


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
    config = config_for(tmp, tracker, url, name, sb.info)
    env = environment(sb.info)
    draw = random.Random(f"{SEED}-{kind}-{tracker}")
    person = Person(sb.info, strict=False)
    edits = draw.sample(KINDS, len(KINDS))  # every kind once, in a drawn order, then drawn freely
    made: dict[str, int] = {}
    kills = starts = in_cycle = 0
    while kills < KILLS_PER_SCENARIO and starts < MAX_STARTS:
        if starts:  # between two cycles (the first has not written anything to edit yet)
            edit = edits.pop(0) if edits else draw.choice(KINDS)
            if person.edit(tracker, edit) != SKIPPED:
                made[edit] = made.get(edit, 0) + 1
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
    if set(made) != set(KINDS):  # a kind no start could make (nothing written yet to edit): one more
        finish(start_cycle("checkin", config, env))  # undisturbed cycle writes it, then the person edits
        for edit in set(KINDS) - set(made):
            if person.edit(tracker, edit) != SKIPPED:
                made[edit] = 1
    assert set(made) == set(KINDS), f"home edits made: {made}"
    finish(start_cycle("checkin", config, env))
    state = control.state()
    actual = without_typing_times(normalised_state(state, {tracker}))  # the typing minute differs
    lost = differences(expected, actual)
    dupes = {m: n for m, n in marker_counts(state).items() if n > 1}
    assert not lost, f"after {kills} kills the end state differs from an uninterrupted run: {lost}\n" \
                     f"{unified(expected, actual)}"
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
    for edit, count in made.items():
        figures.add("kills", f"home_edit:{edit}", count)
    figures.add("kills", "home_edits", sum(made.values()))
    figures.note("kills", "scenarios", "SQLite and PostgreSQL × Jira, GitLab, Planner")
    figures.note("kills", "parameters", f"{KILLS_PER_SCENARIO} kills per scenario (OKRSYNC_SOAK_KILLS), "
                                        f"at most {MAX_STARTS} starts, seed {SEED}")
