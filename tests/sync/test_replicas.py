"""Two ``okr-sync run`` replicas on one PostgreSQL store (issue 9, acceptance 4).

Each replica is a real process reaching the sandbox through a proxy of its own, and all proxies write
one journal: every write request, which replica sent it, when it arrived and when it was answered.
Work items keep changing in the sandbox meanwhile (:class:`Churn`), so every cycle has something to
write. The test proves:

- the scopes split: each replica reports (``/healthz`` ``held``) and writes only its share, and
  together they cover every scope;
- SIGKILL one → the survivor holds all scopes within two intervals, and writes the dead one's scope;
- no concurrent writes to one scope: for every tracker, the writes of the two replicas never overlap
  in time, and the writes of each tracker come from one replica before the kill and from the survivor
  after it; sampled ``/healthz`` never shows one scope held by both.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from okr_sync.daemon.replicas import ScopeDealer, lease_namespace
from okr_sync.sandbox.server import Sandbox
from tests.store.conftest import PG_URL, RUN_ID, pg_admin  # noqa: F401 - pg_admin is a fixture used here
from tests.sync.crash_harness import environment, write_config
from tests.sync.crash_proxy import Journal, TrackerProxy, WriteRecord
from tests.sync.replica_harness import Churn, DaemonProcess

pytestmark = [pytest.mark.reliability, pytest.mark.postgres]
INTERVAL = 2.0
SCOPES = {"jira", "gitlab"}
_schemas = itertools.count()


def fresh_schema_url(admin: psycopg.Connection, tag: str) -> str:
    """A new, empty PostgreSQL schema (dropped with this run's others at the end of the session)."""
    schema = f"okrsync_{RUN_ID}_{tag}{next(_schemas)}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


class HeldSampler:
    """Polls both replicas' ``/healthz`` (A, B, A again) and keeps every sample, in a thread."""

    def __init__(self, first: DaemonProcess, second: DaemonProcess) -> None:
        self.pair = (first, second)
        self.samples: list[tuple[float, set[str], set[str], set[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        first, second = self.pair
        while not self._stop.wait(0.1):
            try:
                a1, b, a2 = first.held(), second.held(), first.held()
            except OSError:  # the killed replica no longer answers: sample only the survivor from now on
                a1 = b = a2 = set()
                if second.process.poll() is not None:
                    break
            self.samples.append((time.monotonic(), a1, b, a2))

    def __enter__(self) -> HeldSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def overlapping(records: list[WriteRecord]) -> list[tuple[WriteRecord, WriteRecord]]:
    """Pairs of writes to one tracker from different replicas whose request/answer spans overlap."""
    found = []
    for tracker in {r.tracker for r in records}:
        mine = sorted((r for r in records if r.tracker == tracker), key=lambda r: r.arrived)
        for earlier, later in itertools.combinations(mine, 2):
            if earlier.source != later.source and later.arrived < earlier.answered:
                found.append((earlier, later))
    return found


@pytest.fixture
def demo(make_sandbox: Any) -> Sandbox:
    """A fresh demo sandbox."""
    return make_sandbox("demo")  # type: ignore[no-any-return]


@pytest.fixture
def replicas(demo: Sandbox, pg_admin: psycopg.Connection,  # noqa: F811
             tmp_path: Path) -> Iterator[tuple[DaemonProcess, DaemonProcess, Journal]]:
    """Replicas ``a`` and ``b`` of one deployment (one PostgreSQL schema), each behind its own proxy."""
    state_url = fresh_schema_url(pg_admin, "replicas")
    journal = Journal()
    upstream = demo.control_url.rsplit("/_sandbox", 1)[0]
    proxies = {name: TrackerProxy(upstream, source=name, journal=journal).start() for name in ("a", "b")}
    daemons: list[DaemonProcess] = []
    try:
        for name, proxy in proxies.items():
            config = write_config(tmp_path / f"{name}.yaml", trackers=SCOPES, state_url=state_url,
                                  interval=f"{int(INTERVAL)}s")
            daemons.append(DaemonProcess(name, config, environment(demo.info, proxy.url)))
            daemons[-1].wait_started()
            daemons[-1].wait_ready()
        yield daemons[0], daemons[1], journal
    finally:
        for daemon in daemons:
            daemon.stop()
        for proxy in proxies.values():
            proxy.stop()


def wait_for(condition: Any, timeout: float, what: str) -> float:
    """Poll ``condition()`` every 50 ms; seconds it took (fails after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_replicas_split_take_over_and_never_write_one_scope_at_once(
        demo: Sandbox, control_of: Any, replicas: tuple[DaemonProcess, DaemonProcess, Journal]) -> None:
    first, second, journal = replicas
    split = wait_for(lambda: first.held() | second.held() == SCOPES and not first.held() & second.held()
                     and first.held() and second.held(), 30, "scopes split between the replicas")
    held_a, held_b, split_at = first.held(), second.held(), time.monotonic()
    with Churn(demo.info, control_of(demo).state()) as churn, HeldSampler(first, second) as sampler:
        time.sleep(4 * INTERVAL)
        killed_at = time.monotonic()
        second.process.kill()
        second.process.wait(10)
        takeover = wait_for(lambda: first.held() == SCOPES, 3 * INTERVAL + 10, "takeover")
        time.sleep(3 * INTERVAL)
    records = journal.snapshot()
    before = [r for r in records if split_at <= r.arrived < killed_at]
    after = [r for r in records if r.arrived >= killed_at + takeover]

    assert churn.changes >= 8
    assert {r.tracker for r in before if r.source == "a"} == held_a, "a wrote outside its share"
    assert {r.tracker for r in before if r.source == "b"} == held_b, "b wrote outside its share"
    assert not [r for r in records if r.source == "b" and r.arrived > killed_at], "a killed replica wrote"
    assert {r.tracker for r in after} == SCOPES and {r.source for r in after} == {"a"}, \
        "the survivor must write both scopes after the takeover"
    assert overlapping(records) == [], "two replicas wrote one tracker at once"
    doubly_held = [(t, a1 & b & a2) for t, a1, b, a2 in sampler.samples if a1 & b & a2]
    assert doubly_held == []
    assert len(sampler.samples) > 20
    assert takeover <= 2 * INTERVAL, f"takeover took {takeover:.1f} s, more than two intervals"
    print(f"split after {split:.1f} s; takeover {takeover:.2f} s; {len(records)} writes "
          f"({sum(r.source == 'a' for r in records)} by a, {sum(r.source == 'b' for r in records)} by b); "
          f"{churn.changes} changes; {len(sampler.samples)} health samples")


@pytest.mark.soak  # ~25 s of replica start-up; the default suite covers SIGTERM in test_daemon.py
def test_sigterm_stops_a_replica_gracefully_and_the_other_takes_over(
        replicas: tuple[DaemonProcess, DaemonProcess, Journal]) -> None:
    first, second, _journal = replicas
    wait_for(lambda: first.held() | second.held() == SCOPES and not first.held() & second.held(), 30, "split")
    second.process.terminate()
    assert second.process.wait(60) == 0
    assert any(r.get("message") == "okr-sync daemon stopped" for r in second.records)
    wait_for(lambda: first.held() == SCOPES, 2 * INTERVAL + 5, "takeover after a graceful stop")


def test_deployments_in_two_schemas_of_one_database_do_not_share_leases(
        pg_admin: psycopg.Connection) -> None:  # noqa: F811
    """Regression: advisory locks are per database, so the lease namespace must include the schema —
    otherwise two single-replica deployments each took only half their scopes."""
    one, two = fresh_schema_url(pg_admin, "deploy"), fresh_schema_url(pg_admin, "deploy")
    assert lease_namespace(one) != lease_namespace(two) != "okr-sync"
    first, second = ScopeDealer(one, "first"), ScopeDealer(two, "second")
    try:
        scopes = ["gitlab", "jira", "planner"]
        assert first.tick(scopes) == set(scopes)
        assert second.tick(scopes) == set(scopes)
        assert first.tick(scopes) == set(scopes)
    finally:
        first.close()
        second.close()


def test_the_lease_namespace_names_the_schema() -> None:
    assert lease_namespace("postgresql+psycopg://u@h/db?options=-csearch_path%3Dokr") == "okr-sync:okr"
    assert lease_namespace("postgresql+psycopg://u@h/db") == "okr-sync"
    assert lease_namespace("sqlite:///okr-sync.db") == "okr-sync"
