"""Leases: two holders never hold one scope; a dead holder's scopes become free (PostgreSQL), and the
process-local table on SQLite."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from okr_sync.store.leases import LeaseManager

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def namespace() -> str:
    """A lock namespace of this test alone (advisory locks are per database, shared by all schemas)."""
    return f"test-{os.getpid()}-{secrets.token_hex(4)}"


@pytest.fixture
def pair(pg_url: str, namespace: str) -> Iterator[tuple[LeaseManager, LeaseManager]]:
    """Two replicas' lease managers on one PostgreSQL."""
    first = LeaseManager(pg_url, "replica-a", namespace=namespace)
    second = LeaseManager(pg_url, "replica-b", namespace=namespace)
    yield first, second
    first.close()
    second.close()


def wait_for(condition: object, timeout: float = 10.0) -> bool:
    """Poll ``condition()`` until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.postgres
def test_one_scope_one_holder(pair: tuple[LeaseManager, LeaseManager]) -> None:
    a, b = pair
    assert a.try_acquire("jira") is True
    assert a.try_acquire("jira") is True  # re-entrant for its holder
    assert b.try_acquire("jira") is False
    assert b.try_acquire("gitlab") is True
    assert a.try_acquire("gitlab") is False
    assert a.held() == {"jira"} and b.held() == {"gitlab"}
    assert a.still_held("jira") and not a.still_held("gitlab")
    a.release("jira")
    assert a.held() == set() and not a.still_held("jira")
    assert b.try_acquire("jira") is True
    b.release_all()
    assert b.held() == set()
    assert a.try_acquire("jira") and a.try_acquire("gitlab")


@pytest.mark.postgres
def test_replicas_split_scopes(pair: tuple[LeaseManager, LeaseManager]) -> None:
    scopes = [f"scope-{n}" for n in range(6)]
    a, b = pair
    for scope in scopes[:3]:
        assert a.try_acquire(scope)
    taken_by_b = {scope for scope in scopes if b.try_acquire(scope)}
    assert taken_by_b == set(scopes[3:])
    assert a.held().isdisjoint(b.held()) and a.held() | b.held() == set(scopes)


@pytest.mark.postgres
def test_two_holders_are_never_inside_one_scope_at_once(pg_url: str, namespace: str) -> None:
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    turns = {"replica-a": 0, "replica-b": 0}
    guard = threading.Lock()

    def replica(holder: str) -> None:
        with LeaseManager(pg_url, holder, namespace=namespace) as leases:
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                if not leases.try_acquire("jira"):
                    continue
                with guard:
                    inside.append(holder)
                    if len(inside) > 1:
                        overlaps.append(tuple(inside))
                    turns[holder] += 1
                time.sleep(0.002)  # "writing"
                with guard:
                    inside.remove(holder)
                leases.release("jira")

    threads = [threading.Thread(target=replica, args=(h,)) for h in turns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert turns["replica-a"] > 0 and turns["replica-b"] > 0  # both really competed


def _backend_of(holder: str, admin: psycopg.Connection) -> list[int]:
    rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                         (f"okr-sync lease {holder}",)).fetchall()
    return [pid for (pid,) in rows]


@pytest.mark.postgres
def test_a_terminated_connection_frees_the_scope(pair: tuple[LeaseManager, LeaseManager],
                                                 pg_admin: psycopg.Connection, namespace: str) -> None:
    a, b = pair
    assert a.try_acquire("planner")
    assert not b.try_acquire("planner")
    [pid] = _backend_of("replica-a", pg_admin)
    assert pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    assert wait_for(lambda: b.try_acquire("planner"))
    assert a.still_held("planner") is False  # the old holder learns it before writing
    assert a.held() == set()
    assert a.try_acquire("planner") is False


@pytest.mark.postgres
def test_closing_the_holder_frees_its_scopes(pair: tuple[LeaseManager, LeaseManager]) -> None:
    a, b = pair
    assert a.try_acquire("jira") and a.try_acquire("gitlab")
    a.close()
    assert b.try_acquire("jira") and b.try_acquire("gitlab")


@pytest.mark.postgres
@pytest.mark.reliability
def test_a_sigkilled_replica_releases_its_scopes(pg_url: str, namespace: str) -> None:
    command = [sys.executable, "-m", "tests.store.lease_holder", pg_url, namespace, "doomed", "jira", "gitlab"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            lines = [child.stdout.readline().strip() for _ in range(3)]
            assert lines == ["held jira", "held gitlab", "ready"]
            with LeaseManager(pg_url, "survivor", namespace=namespace) as survivor:
                assert survivor.try_acquire("jira") is False
                child.send_signal(signal.SIGKILL)
                assert child.wait(timeout=10) == -signal.SIGKILL
                assert wait_for(lambda: survivor.try_acquire("jira") and survivor.try_acquire("gitlab"))
                assert survivor.held() == {"jira", "gitlab"}
        finally:
            if child.poll() is None:
                child.kill()


def test_sqlite_leases_are_a_process_local_table(sqlite_url: str, tmp_path: Path) -> None:
    with LeaseManager(sqlite_url, "only") as only, LeaseManager(sqlite_url, "other") as other:
        assert only.try_acquire("jira") and only.try_acquire("jira")
        assert only.still_held("jira") and only.held() == {"jira"}
        assert other.try_acquire("jira") is False and not other.still_held("jira")
        with LeaseManager(f"sqlite:///{tmp_path / 'another.db'}", "other") as elsewhere:
            assert elsewhere.try_acquire("jira")  # another database, another table entry
        only.release("jira")
        assert other.try_acquire("jira") and other.still_held("jira")
    with LeaseManager(sqlite_url, "third") as third:
        assert third.try_acquire("jira")  # closing released every lease
