"""Crash safety (issue 9, acceptance 3): SIGKILL at a write step, restart, same tracker state, no duplicates.

Each scenario runs the real product as a process of its own against the demo sandbox, through a
:class:`~tests.sync.crash_proxy.TrackerProxy` that holds the n-th write request:

- ``before``: the process is killed between two writes — writes 1…n-1 landed and were answered, write n
  never reaches the tracker;
- ``after``: write n landed in the tracker but the process is killed before its answer arrives (the
  nastiest point: the store never learns the write happened).

Then the same command runs again without interference, and the sandbox's tracker state (normalised:
time stamps, ETags, comment/note ids and ports dropped) must equal the state after one uninterrupted
run, with every okr-sync marker (status comment / note / description block / details block, weekly
check-in) present exactly once. ``OKRSYNC_NOW`` fixes the computing time so runs are comparable.

Commands: ``once`` is ``okr-sync once`` (status write-back); ``checkin`` is the same cycle also
upserting the check-ins of one week (``crash_checkin.py``), so check-in comments/notes are crashed too.

Steps are counted from the reference run's own write requests (and picked by what they carry), so
connectors may merge or split requests without breaking these tests. The default suite runs every write
step of GitLab (with check-ins) and representative steps of Jira
(SQLite and PostgreSQL) and Planner; the whole matrix — every step, both phases, every tracker, both
stores — is marked ``soak`` (each scenario is two process runs of 5–30 s on a loaded 2-core machine).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from okr_sync.sandbox.fixtures.demo_story import UNKNOWN_KR
from okr_sync.sandbox.server import Sandbox
from tests.conftest import SandboxControl
from tests.store.conftest import PG_URL, RUN_ID, pg_admin  # noqa: F401 - pg_admin is a fixture used here
from tests.sync.crash_harness import (
    differences,
    environment,
    marker_counts,
    normalised_state,
    run_once,
    start_cycle,
    write_config,
)
from tests.sync.crash_proxy import TrackerProxy, WriteRecord

pytestmark = pytest.mark.reliability

_schemas = itertools.count()


@dataclass
class Reference:
    """The tracker state after one uninterrupted run, and the write requests it took, in order."""

    state: dict[str, Any]
    requests: list[WriteRecord]

    @property
    def writes(self) -> int:
        """How many write requests an uninterrupted run makes (the steps a crash can hit)."""
        return len(self.requests)

    def step(self, description: str, matches: Callable[[WriteRecord], bool]) -> int:
        """The 1-based step of the first write request that ``matches`` (tests pick steps by meaning, so
        connectors may merge or split requests without breaking them)."""
        found = next((n for n, r in enumerate(self.requests, 1) if matches(r)), None)
        assert found is not None, f"no {description} among {[(r.method, r.path, r.marker) for r in self.requests]}"
        return found


@dataclass
class Rig:
    """One demo sandbox behind a holding proxy, and the reference runs made on it so far."""

    sandbox: Sandbox
    control: SandboxControl
    proxy: TrackerProxy
    tmp: Path
    references: dict[tuple[str, str], Reference] = field(default_factory=dict)

    def config(self, tracker: str, state_url: str) -> Path:
        """A fresh configuration file for ``tracker`` over ``state_url``."""
        return write_config(self.tmp / f"okr-sync-{uuid.uuid4().hex[:8]}.yaml", trackers={tracker},
                            state_url=state_url)

    def sqlite(self) -> str:
        """A fresh SQLite state store."""
        return f"sqlite:///{self.tmp / f'state-{uuid.uuid4().hex[:8]}.db'}"

    def reference(self, tracker: str, command: str) -> Reference:
        """The state after an uninterrupted ``command`` on a pristine demo (computed once per module)."""
        if (tracker, command) not in self.references:
            self.control.reset()
            seen = len(self.proxy.journal.snapshot())
            run_once(self.config(tracker, self.sqlite()), environment(self.sandbox.info, self.proxy.url), command)
            state = normalised_state(self.control.state(), {tracker})
            requests = self.proxy.journal.snapshot()[seen:]
            assert len(requests) == self.control.requests()["writes"] > 0
            self.references[tracker, command] = Reference(state, requests)
        return self.references[tracker, command]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The module's sandbox and proxy."""
    with Sandbox("demo") as sandbox:
        proxy = TrackerProxy(sandbox.control_url.rsplit("/_sandbox", 1)[0]).start()
        try:
            yield Rig(sandbox, SandboxControl(sandbox.control_url), proxy, tmp_path_factory.mktemp("crash"))
        finally:
            proxy.stop()


def fresh_pg_url(admin: psycopg.Connection) -> str:
    """A new, empty PostgreSQL schema (dropped with this run's others at the end of the session)."""
    schema = f"okrsync_{RUN_ID}_crash{next(_schemas)}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def crash_and_restart(rig: Rig, tracker: str, command: str, step: int, phase: str, state_url: str) -> None:
    """Kill ``command`` at write ``step`` (``phase``), run it again, compare with the reference."""
    reference = rig.reference(tracker, command)
    rig.control.reset()
    config = rig.config(tracker, state_url)
    env = environment(rig.sandbox.info, rig.proxy.url)
    rig.proxy.hold(step, phase)
    process = start_cycle(command, config, env)
    try:
        deadline = time.monotonic() + 240
        while not rig.proxy.held.wait(0.1):
            assert process.poll() is None, (f"{command} ended (exit {process.returncode}) before write {step}:\n"
                                            f"{process.stderr.read()[-2000:] if process.stderr else ''}")
            assert time.monotonic() < deadline, f"write {step} never arrived"
    finally:
        process.kill()
        process.communicate()
        rig.proxy.release()
    landed = rig.control.requests()["writes"]
    assert landed == (step if phase == "after" else step - 1), f"killed at the wrong point: {landed} writes landed"

    again = run_once(config, env, command)
    assert [p for p in again["problems"] if UNKNOWN_KR not in p] == [], again["problems"]  # the demo's stray item
    state = normalised_state(rig.control.state(), {tracker})
    where = f"{tracker} {command}, killed {phase} write {step}"
    assert state == reference.state, f"{where}: state differs from an uninterrupted run: " \
                                     f"{differences(reference.state, state)}"
    markers = marker_counts(state)
    assert markers and set(markers.values()) == {1}, f"{where}: duplicated markers {markers}"
    assert markers == marker_counts(reference.state)


# ------------------------------------------------------------------------------------- default suite
def test_the_reference_runs_write_every_marker_once(rig: Rig) -> None:
    """The comparison basis itself: one uninterrupted run leaves one status and one check-in per KR home."""
    reference = rig.reference("gitlab", "checkin")
    markers = marker_counts(reference.state)
    assert sorted(markers) == ["okr-sync:checkin:OBJ1-KR3:2026-W47", "okr-sync:checkin:OBJ3-KR1:2026-W47",
                               "okr-sync:checkin:OBJ3-KR2:2026-W47", "okr-sync:status:OBJ1-KR3",
                               "okr-sync:status:OBJ3-KR1", "okr-sync:status:OBJ3-KR2"]
    assert set(markers.values()) == {1}
    assert {r.marker for r in reference.requests if r.marker} == set(markers)


@pytest.mark.timeout(900)
def test_gitlab_killed_after_each_write_landed(rig: Rig) -> None:
    """Every write step of a GitLab cycle with check-ins: the write landed, its answer was lost."""
    reference = rig.reference("gitlab", "checkin")
    for step in range(1, reference.writes + 1):
        crash_and_restart(rig, "gitlab", "checkin", step, "after", rig.sqlite())


@pytest.mark.timeout(900)
def test_azure_devops_killed_after_each_write_landed(rig: Rig) -> None:
    """Every write step of an Azure DevOps cycle with check-ins (tag patches, status and check-in comments): the
    write landed, its answer was lost; the restart neither duplicates a comment nor loses a tag."""
    reference = rig.reference("azure_devops", "checkin")
    markers = marker_counts(reference.state)
    assert set(markers.values()) == {1} and len(markers) == 5, markers  # OBJ4, two KRs, their two check-ins
    for step in range(1, reference.writes + 1):
        crash_and_restart(rig, "azure_devops", "checkin", step, "after", rig.sqlite())


def _status_comment(record: WriteRecord) -> bool:
    return record.method == "POST" and record.marker.startswith("okr-sync:status:")


def _checkin(record: WriteRecord) -> bool:
    return record.marker.startswith("okr-sync:checkin:")


@pytest.mark.parametrize("point", ["status-comment-landed", "between-writes", "last-write-landed"])
def test_jira_killed_mid_cycle(rig: Rig, point: str) -> None:
    """Jira ``okr-sync once``: a status comment whose answer was lost is edited, never posted twice."""
    reference = rig.reference("jira", "once")
    comment = reference.step("status comment", _status_comment)
    step, phase = {"status-comment-landed": (comment, "after"), "between-writes": (comment + 1, "before"),
                   "last-write-landed": (reference.writes, "after")}[point]
    crash_and_restart(rig, "jira", "once", step, phase, rig.sqlite())


@pytest.mark.postgres
@pytest.mark.parametrize("point", ["checkin-landed", "between-writes"])
def test_jira_with_checkins_on_postgresql(rig: Rig, pg_admin: psycopg.Connection,  # noqa: F811
                                          point: str) -> None:
    """The same on a PostgreSQL state store, crashing at the first check-in comment."""
    checkin = rig.reference("jira", "checkin").step("check-in comment", _checkin)
    step, phase = (checkin, "after") if point == "checkin-landed" else (checkin + 1, "before")
    crash_and_restart(rig, "jira", "checkin", step, phase, fresh_pg_url(pg_admin))


def test_gitlab_killed_while_absorbing_its_own_writes_then_idle(rig: Rig) -> None:
    """Killed after the last write, during the pull that absorbs okr-sync's own edits: the restart leaves
    the reference state, and the run after it writes nothing (the store converged)."""
    tracker, command = "gitlab", "checkin"
    reference = rig.reference(tracker, command)
    rig.control.reset()
    config = rig.config(tracker, rig.sqlite())
    env = environment(rig.sandbox.info, rig.proxy.url)
    rig.proxy.hold_read_after(reference.writes)
    process = start_cycle(command, config, env)
    try:
        assert rig.proxy.held.wait(240), "the absorbing pull never came"
    finally:
        process.kill()
        process.communicate()
        rig.proxy.release()
    assert rig.control.requests()["writes"] == reference.writes
    run_once(config, env, command)
    assert normalised_state(rig.control.state(), {tracker}) == reference.state
    rig.control.reset_requests()
    assert run_once(config, env, command)["writes"] == 0
    assert rig.control.requests()["writes"] == 0


def test_planner_details_patch_landed(rig: Rig) -> None:
    """Planner: the details PATCH (If-Match) landed, answer lost; the restart re-reads the ETag."""
    step = rig.reference("planner", "once").step("details PATCH", lambda r: r.path.endswith("/details"))
    crash_and_restart(rig, "planner", "once", step, "after", rig.sqlite())


# ------------------------------------------------------------------------------------------- soak
@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("tracker", ["jira", "gitlab", "planner", "azure_devops"])
def test_every_write_step_on_sqlite(rig: Rig, tracker: str, phase: str) -> None:
    """Every tracker, every write step of a cycle with check-ins, both kill points, SQLite."""
    failures = []
    for step in range(1, rig.reference(tracker, "checkin").writes + 1):
        try:
            crash_and_restart(rig, tracker, "checkin", step, phase, rig.sqlite())
        except AssertionError as exc:
            failures.append(f"step {step}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.soak
@pytest.mark.postgres
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("tracker", ["jira", "gitlab", "planner", "azure_devops"])
def test_every_write_step_on_postgresql(rig: Rig, pg_admin: psycopg.Connection,  # noqa: F811
                                        tracker: str, phase: str) -> None:
    """Every tracker, every write step, both kill points, PostgreSQL."""
    failures = []
    for step in range(1, rig.reference(tracker, "checkin").writes + 1):
        try:
            crash_and_restart(rig, tracker, "checkin", step, phase, fresh_pg_url(pg_admin))
        except AssertionError as exc:
            failures.append(f"step {step}: {exc}")
    assert not failures, "\n".join(failures)


def test_the_comparison_would_see_a_duplicate_or_a_lost_write(rig: Rig) -> None:
    """The checks above are not vacuous: a duplicated check-in note or an unwritten label is caught."""
    import copy

    reference = rig.reference("gitlab", "checkin").state
    duplicated = copy.deepcopy(reference)
    note = next(n for n in duplicated["gitlab"]["notes"] if "okr-sync:checkin:" in n["body"])
    duplicated["gitlab"]["notes"].append(dict(note))
    assert max(marker_counts(duplicated).values()) == 2
    unlabelled = copy.deepcopy(reference)
    unlabelled["gitlab"]["issues"][0]["labels"] = []
    assert unlabelled != reference and differences(reference, unlabelled)
