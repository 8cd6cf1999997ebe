"""A crash between pull and write-back keeps people's edits on home items (issue 26).

People edit home items between two cycles (``tests/sync/home_edits.py``: on Jira, GitLab and Planner
each, okr-sync's own field overwritten, its status removed, a new manual value typed by the KR owner).
The next ``okr-sync once`` — the real product, a process of its own, all three trackers — is SIGKILLed
at one of these points, found through a :class:`~tests.sync.crash_proxy.TrackerProxy` holding the first
request of the next step:

- ``homes``: every tracker's pull is committed, no home item read yet (held: the first home read);
- ``jira|gitlab``: Jira's pull committed, GitLab's not started (held: GitLab's first request);
- ``gitlab|planner``: Jira's and GitLab's pulls committed, Planner's not started.

Then ONE plain ``once`` must leave exactly the tracker state of a fault-free run with the same edits
(reset, ``once``, edits, ``once``; only the minute a value was typed, shown in status blocks, aside).
Before pending homes were kept in the store, the committed watermark skipped the edited homes and this
state was reached only by a full reconcile. Each scenario runs on
SQLite and PostgreSQL (``-m soak`` runs all six); the default suite runs two: ``homes`` on SQLite (all
three trackers' edits at once) and ``jira|gitlab`` on PostgreSQL. Each also checks that the edited state
differs from the reference on every tracker, so the comparison cannot pass vacuously.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.sandbox.server import Sandbox
from okr_sync.store.state import StateStore
from tests.conftest import SandboxControl
from tests.store.conftest import pg_admin  # noqa: F401 - pg_admin is a fixture used here
from tests.sync.crash_harness import differences, environment, normalised_state, run_once, start_cycle, write_config
from tests.sync.crash_proxy import TrackerProxy
from tests.sync.home_edits import TRACKERS, Person, jira_basic_auth, people_with_bot_owners, without_typing_times
from tests.sync.test_crash_safety import fresh_pg_url

pytestmark = pytest.mark.reliability

POINTS = {  # kill point -> the request held (never forwarded) while the process is killed
    "homes": r"^GET /gitlab/api/v4/projects/[^/]+/issues\?iids",  # homes are read in tracker order: gitlab first
    "jira|gitlab": r"^\w+ /gitlab/",
    "gitlab|planner": r"^\w+ /graph/",
}
COMMITTED = {"homes": TRACKERS, "jira|gitlab": ("jira",), "gitlab|planner": ("jira", "gitlab")}


@dataclass
class Rig:
    """The demo sandbox behind a holding proxy, a person, and the fault-free reference state."""

    sandbox: Sandbox
    control: SandboxControl
    proxy: TrackerProxy
    tmp: Path
    person: Person
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """okr-sync's environment, every tracker URL through the proxy."""
        return environment(self.sandbox.info, self.proxy.url)

    def config(self, state_url: str) -> Path:
        """A fresh all-tracker configuration over ``state_url``."""
        return write_config(self.tmp / f"okr-sync-{uuid.uuid4().hex[:8]}.yaml", trackers=set(TRACKERS),
                            state_url=state_url, extra={"people": people_with_bot_owners(self.sandbox.info)},
                            tracker_settings={"jira": jira_basic_auth(self.sandbox.info)})

    def pristine(self) -> None:
        """The demo fixture again, its clock at the demo's today (edits are dated like okr-sync's now)."""
        self.control.reset()
        self.control.set_clock(AS_OF.isoformat())

    def settled_then_edited(self, state_url: str) -> Path:
        """A pristine demo synced once by okr-sync over ``state_url``, then edited by the person."""
        self.pristine()
        config = self.config(state_url)
        first = run_once(config, self.env)
        assert first["writes"] > 0 and not errors(first), errors(first)
        self.person.edit_all()
        return config

    def reference(self) -> dict[str, Any]:
        """The end state of a fault-free run with the same edits (computed once per module)."""
        if "reference" not in self.cache:
            config = self.settled_then_edited(f"sqlite:///{self.tmp / 'reference.db'}")
            report = run_once(config, self.env)
            assert report["writes"] > 0 and not errors(report), errors(report)
            self.cache["reference"] = without_typing_times(normalised_state(self.control.state(), set(TRACKERS)))
            self.cache["problems"] = sorted(report["problems"])
        return self.cache["reference"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The module's sandbox, proxy and person."""
    with Sandbox("demo") as sandbox:
        proxy = TrackerProxy(sandbox.control_url.rsplit("/_sandbox", 1)[0]).start()
        try:
            yield Rig(sandbox, SandboxControl(sandbox.control_url), proxy, tmp_path_factory.mktemp("homes"),
                      Person(sandbox.info))
        finally:
            proxy.stop()


def sqlite_url(rig: Rig) -> str:
    """A fresh SQLite state store."""
    return f"sqlite:///{rig.tmp / f'state-{uuid.uuid4().hex[:8]}.db'}"


def errors(report: dict[str, Any]) -> dict[str, Any]:
    """Trackers that failed in a cycle's JSON report, with their error."""
    return {name: t["error"] for name, t in report["trackers"].items() if t["error"] is not None}


def watermarks(state_url: str) -> dict[str, str | None]:
    """Each tracker's committed watermark."""
    with StateStore.open(state_url) as store:
        return {tracker: store.watermark(tracker) for tracker in TRACKERS}


def kill_at(rig: Rig, point: str, state_url: str) -> None:
    """Edit, run ``once`` killed at ``point``, run ``once`` again; the end state must be the reference."""
    reference = rig.reference()
    config = rig.settled_then_edited(state_url)
    edited = without_typing_times(normalised_state(rig.control.state(), set(TRACKERS)))
    for tracker in TRACKERS:  # the comparison below is not vacuous: every tracker shows its edits
        assert edited[tracker] != reference[tracker], f"the edits on {tracker} left no trace"
    before = watermarks(state_url)
    writes = rig.control.requests()["writes"]
    rig.proxy.hold_request(POINTS[point])
    process = start_cycle("once", config, rig.env)
    try:
        deadline = time.monotonic() + 120
        while not rig.proxy.held.wait(0.1):
            assert process.poll() is None, f"once ended (exit {process.returncode}) before the {point} point"
            assert time.monotonic() < deadline, f"the {point} point never came"
    finally:
        process.kill()
        process.communicate()
        rig.proxy.release()
    assert rig.control.requests()["writes"] == writes, "the killed cycle wrote to a tracker: wrong kill point"
    after = watermarks(state_url)
    moved = {tracker for tracker in TRACKERS if after[tracker] != before[tracker]}
    assert moved == set(COMMITTED[point]), f"pulls committed before the kill: {moved}, expected {COMMITTED[point]}"

    again = run_once(config, rig.env)
    assert sorted(again["problems"]) == rig.cache["problems"], again["problems"]  # e.g. values typed by others
    state = without_typing_times(normalised_state(rig.control.state(), set(TRACKERS)))
    assert state == reference, f"killed at {point}: the end state differs from a fault-free run: " \
                               f"{differences(reference, state)}"


@pytest.mark.timeout(600)
def test_killed_after_every_pull_before_homes_are_read_on_sqlite(rig: Rig) -> None:
    """All three trackers' pulls committed, no home read: every edit of every tracker must survive."""
    kill_at(rig, "homes", sqlite_url(rig))


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_killed_between_jira_and_gitlab_pulls_on_postgresql(rig: Rig, pg_admin: psycopg.Connection,  # noqa: F811
                                                            ) -> None:
    """Jira's pull committed, GitLab's not begun: Jira's edits must survive (the others are pulled anew)."""
    kill_at(rig, "jira|gitlab", fresh_pg_url(pg_admin))


@pytest.mark.soak
@pytest.mark.timeout(600)
@pytest.mark.parametrize("point", ["jira|gitlab", "gitlab|planner"])
def test_killed_between_two_pulls_on_sqlite(rig: Rig, point: str) -> None:
    kill_at(rig, point, sqlite_url(rig))


@pytest.mark.soak
@pytest.mark.postgres
@pytest.mark.timeout(600)
@pytest.mark.parametrize("point", ["homes", "gitlab|planner"])
def test_killed_at_the_other_points_on_postgresql(rig: Rig, pg_admin: psycopg.Connection,  # noqa: F811
                                                  point: str) -> None:
    kill_at(rig, point, fresh_pg_url(pg_admin))
