"""Crash consistency: a writer SIGKILLed in the middle of a commit leaves a readable, consistent store.

Consistent means: the watermark and every item belong to the same committed version, links match the
items' KR ids, SQLite's integrity and foreign-key checks pass, and the store accepts the next commit.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from okr_sync.store.state import StateStore
from tests.store.crash_writer import version

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 2_500  # two batches: the pause lands inside the transaction, not at its edge

pytestmark = pytest.mark.reliability


def assert_consistent(url: str) -> int:
    """Check the store left by a killed writer; returns the committed version found."""
    with StateStore.open(url) as store:
        watermark = store.watermark("jira")
        assert watermark is not None and watermark.startswith("v")
        number = int(watermark[1:])
        items = store.items(tracker="jira")
        assert items == sorted(version(ITEMS, number), key=lambda i: i.key)
        by_kr = store.items_by_kr()
        assert sum(len(linked) for linked in by_kr.values()) == ITEMS
        assert all(kr in item.kr_ids for kr, linked in by_kr.items() for item in linked)
        assert store.items_by_kr([f"KR{n}" for n in range(50)]) == {f"KR{n}": by_kr.get(f"KR{n}", [])
                                                                       for n in range(50)}
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        affected = store.commit_pull("jira", version(ITEMS, number + 1), f"v{number + 1}", full=True)
        assert affected and store.watermark("jira") == f"v{number + 1}"
        return number


def start_writer(url: str, mode: str) -> subprocess.Popen[str]:
    """The child writer process."""
    return subprocess.Popen([sys.executable, "-m", "tests.store.crash_writer", url, str(ITEMS), mode],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_sigkill_mid_commit_keeps_the_previous_commit(store_url: str) -> None:
    with start_writer(store_url, "pause") as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed 1"
        assert child.stdout.readline().strip() == "mid"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    assert assert_consistent(store_url) == 1


def test_sigkill_at_random_moments_of_a_commit_loop(store_url: str) -> None:
    rng = random.Random(20261125)
    for _ in range(2):
        with start_writer(store_url, "loop") as child:
            assert child.stdout is not None
            assert child.stdout.readline().startswith("committed")
            time.sleep(rng.uniform(0.1, 0.6))
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=10) == -signal.SIGKILL
        assert assert_consistent(store_url) >= 1
