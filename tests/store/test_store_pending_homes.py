"""Pending homes (issue 26): home items a committed pull saw change stay remembered until settled.

They are written in the pull's own transaction (with the items and the watermark), survive a restart,
and are removed only by ``settle_homes`` with the mark that was read — a home marked again meanwhile
stays pending. Every test runs on SQLite and PostgreSQL (``store`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from okr_sync.store.state import StateStore
from tests.store.factories import item


def test_a_pull_marks_only_the_home_items_it_pulled(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1"), item("A-2", "KR1"), item("H-1")], "w1",
                      homes={"H-1", "H-2"})
    store.commit_pull("gitlab", [item("p#1", tracker="gitlab")], "g1", homes=set())
    assert set(store.pending_homes()) == {("jira", "H-1")}
    assert store.pending_homes(["gitlab"]) == {}
    marked = store.pending_homes(["jira"])[("jira", "H-1")]
    assert marked.tzinfo is not None


def test_many_homes_in_one_pull_are_marked_and_settled_together(store: StateStore) -> None:
    keys = [f"H-{n}" for n in range(1, 2_501)]  # more than one bulk batch on both databases
    store.commit_pull("jira", [item(key) for key in keys], "w1", homes=set(keys))
    assert set(store.pending_homes()) == {("jira", key) for key in keys}
    assert store.settle_homes(store.pending_homes()) == len(keys)  # several chunks of keys
    assert store.pending_homes() == {}


def test_pending_homes_survive_a_restart(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.commit_pull("planner", [item("t1", tracker="planner")], "e1", homes={"t1"})
    with StateStore.open(store_url) as again:
        assert set(again.pending_homes()) == {("planner", "t1")}


def test_settling_removes_what_was_read_and_keeps_a_home_marked_again(store: StateStore) -> None:
    store.commit_pull("jira", [item("H-1"), item("H-2")], "w1", homes={"H-1", "H-2"})
    read = store.pending_homes()
    store.commit_pull("jira", [item("H-2", title="edited again")], "w2", homes={"H-1", "H-2"})
    assert store.settle_homes(read) == 1  # H-2's newer mark is after the one that was read
    assert set(store.pending_homes()) == {("jira", "H-2")}
    assert store.settle_homes(store.pending_homes()) == 1
    assert store.pending_homes() == {}
    assert store.settle_homes({("jira", "H-9"): datetime.now(UTC)}) == 0  # nothing to settle: no error


def test_settling_with_a_naive_time_is_refused(store: StateStore) -> None:
    store.commit_pull("jira", [item("H-1")], "w1", homes={"H-1"})
    with pytest.raises(ValueError, match="no time zone"):
        store.settle_homes({("jira", "H-1"): datetime(2026, 12, 1)})  # naive on purpose
    assert set(store.pending_homes()) == {("jira", "H-1")}


def test_marks_are_committed_with_the_watermark_or_not_at_all(store: StateStore) -> None:
    """A commit failing at its very last statement (the watermark) leaves no pending home behind."""
    store.commit_pull("jira", [item("H-1")], "w1", homes={"H-1"})
    store.settle_homes(store.pending_homes())

    def fail_on_watermark(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "INSERT INTO watermarks" in statement:
            raise RuntimeError("power cut")

    event.listen(store.engine, "after_cursor_execute", fail_on_watermark)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            store.commit_pull("jira", [item("H-1", title="edited")], "w2", homes={"H-1"})
    finally:
        event.remove(store.engine, "after_cursor_execute", fail_on_watermark)
    assert store.pending_homes() == {}
    assert store.watermark("jira") == "w1"
    assert [i.title for i in store.items()] == ["work H-1"]
