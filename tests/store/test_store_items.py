"""Work items, KR links, affected KRs, full reconcile and watermarks (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from okr_sync.mapping import StatusCategory
from okr_sync.store.state import StateStore
from tests.store.factories import T0, item, many, rich_item


def test_items_round_trip_losslessly(store: StateStore) -> None:
    original = rich_item()
    plain = item("PGE-1")
    store.commit_pull("gitlab", [original], "w1")
    store.commit_pull("jira", [plain], "w2")

    [back] = store.items(tracker="gitlab")
    assert back == original
    assert back.kr_ids == ("OBJ1-KR2", "OBJ2-KR1", "OBJ1-KR2")
    assert isinstance(back.kr_ids, tuple)
    assert back.updated is not None and back.updated.tzinfo is UTC
    assert back.updated == original.updated  # same instant, shown in UTC
    assert back.numbers == {"cases_closed": 42.0, "days_saved": 0.1 + 0.2}
    assert back.status is StatusCategory.IN_PROGRESS
    assert store.items() == [original, plain]
    assert store.items(tracker="planner") == []


def test_first_pull_affects_every_linked_kr(store: StateStore) -> None:
    affected = store.commit_pull("jira", [item("A-1", "KR1", "KR2"), item("A-2", "KR3"), item("A-3")], "w1")
    assert affected == {"KR1", "KR2", "KR3"}


def test_unchanged_items_affect_nothing(store: StateStore) -> None:
    items = [item("A-1", "KR1"), item("A-2", "KR2")]
    store.commit_pull("jira", items, "w1")
    assert store.commit_pull("jira", items, "w2") == set()
    assert store.watermark("jira") == "w2"


def test_changed_item_affects_old_and_new_krs_only(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1"), item("A-2", "KR2"), item("A-3", "KR3")], "w1")
    moved = item("A-1", "KR4")  # relinked from KR1 to KR4
    done = item("A-2", "KR2", status=StatusCategory.DONE)
    affected = store.commit_pull("jira", [moved, done, item("A-3", "KR3")], "w2")
    assert affected == {"KR1", "KR4", "KR2"}
    by_kr = store.items_by_kr(["KR1", "KR2", "KR4"])
    assert by_kr == {"KR1": [], "KR2": [done], "KR4": [moved]}


def test_incremental_pull_keeps_items_it_did_not_mention(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1"), item("A-2", "KR1")], "w1")
    store.commit_pull("jira", [item("A-2", "KR1", title="renamed")], "w2")
    assert [i.key for i in store.items()] == ["A-1", "A-2"]
    assert store.items()[1].title == "renamed"


def test_full_reconcile_deletes_missing_items_and_affects_their_krs(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1"), item("A-2", "KR2"), item("A-3", "KR3")], "w1")
    store.commit_pull("gitlab", [item("g#1", "KR2", tracker="gitlab")], "g1")
    affected = store.commit_pull("jira", [item("A-1", "KR1")], "w2", full=True)
    assert affected == {"KR2", "KR3"}
    assert [i.key for i in store.items(tracker="jira")] == ["A-1"]
    assert [i.key for i in store.items(tracker="gitlab")] == ["g#1"]  # other trackers untouched
    assert [i.key for i in store.items_by_kr(["KR2"])["KR2"]] == ["g#1"]


def test_full_reconcile_of_nothing_empties_the_tracker(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1")], "w1")
    assert store.commit_pull("jira", [], "w2", full=True) == {"KR1"}
    assert store.items() == []
    assert store.items_by_kr() == {}


def test_items_by_kr_lists_items_serving_several_krs_under_each(store: StateStore) -> None:
    shared = item("A-1", "KR1", "KR2")
    store.commit_pull("jira", [shared, item("A-2", "KR2"), item("A-3")], "w1")
    everything = store.items_by_kr()
    assert set(everything) == {"KR1", "KR2"}
    assert everything["KR1"] == [shared]
    assert [i.key for i in everything["KR2"]] == ["A-1", "A-2"]


def test_duplicate_keys_in_one_pull_keep_the_later_copy(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", "KR1"), item("A-1", "KR2", title="later")], "w1")
    assert store.items() == [item("A-1", "KR2", title="later")]
    assert store.items_by_kr(["KR1"]) == {"KR1": []}


def test_watermark_advances_only_with_a_commit(store: StateStore) -> None:
    assert store.watermark("jira") is None
    store.commit_pull("jira", [item("A-1", "KR1")], "2026-01-05T09:00:00Z")
    assert store.watermark("jira") == "2026-01-05T09:00:00Z"
    store.commit_pull("jira", [], None)  # no watermark given: kept
    assert store.watermark("jira") == "2026-01-05T09:00:00Z"
    assert store.watermark("gitlab") is None


@pytest.fixture
def failing_statement(store: StateStore) -> Iterator[dict[str, Any]]:
    """Make the store's next statement that contains ``plan["sql"]`` raise (a database-side failure)."""
    plan: dict[str, Any] = {"sql": None, "hits": 0}

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if plan["sql"] and plan["sql"] in statement:
            plan["hits"] += 1
            raise RuntimeError(f"injected failure on {plan['sql']}")

    event.listen(store.engine, "before_cursor_execute", before)
    yield plan
    event.remove(store.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("sql", ["INSERT INTO watermarks", "INSERT INTO item_kr_links", "DELETE FROM work_items"])
def test_a_failure_inside_commit_pull_leaves_neither_items_nor_watermark(
        store: StateStore, failing_statement: dict[str, Any], sql: str) -> None:
    before = [item("A-1", "KR1"), item("A-2", "KR2")]
    store.commit_pull("jira", before, "w1")
    failing_statement["sql"] = sql
    with pytest.raises(RuntimeError, match="injected failure"):
        store.commit_pull("jira", [item("A-1", "KR9", title="changed"), item("A-3", "KR3")], "w2", full=True)
    assert failing_statement["hits"] == 1
    failing_statement["sql"] = None
    assert store.watermark("jira") == "w1"
    assert store.items() == before
    assert store.items_by_kr(["KR1", "KR9", "KR3"]) == {"KR1": [before[0]], "KR9": [], "KR3": []}
    # and the store still works afterwards
    assert store.commit_pull("jira", [item("A-1", "KR9")], "w3") == {"KR1", "KR9"}


def test_naive_datetimes_are_refused_with_the_item_named(store: StateStore) -> None:
    naive = item("A-7", "KR1", updated=datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError, match=r"jira:A-7 has a naive updated .* aware UTC"):
        store.commit_pull("jira", [item("A-1", "KR1"), naive], "w1")
    assert store.items() == []
    assert store.watermark("jira") is None


def test_an_item_of_another_tracker_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="pull of tracker 'jira' contains item 'g#1' of tracker 'gitlab'"):
        store.commit_pull("jira", [item("g#1", tracker="gitlab")], "w1")


def test_thousands_of_items_use_the_batched_paths(store: StateStore) -> None:
    first = many(3_000)
    assert len(store.commit_pull("jira", first, "w1")) == 50
    changed = [dataclasses.replace(i, title="again") if i.key.endswith("7") else i for i in first]
    affected = store.commit_pull("jira", changed, "w2")
    assert affected == {f"KR{n}" for n in range(50) if n % 10 == 7}
    assert store.items() == sorted(changed, key=lambda i: i.key)
    assert sum(len(v) for v in store.items_by_kr().values()) == 3_000
    assert store.commit_pull("jira", changed[:2_990], "w3", full=True) == {f"KR{n % 50}" for n in range(2_990, 3_000)}
    assert len(store.items()) == 2_990


def test_times_come_back_in_utc_from_a_non_utc_session(store: StateStore) -> None:
    store.commit_pull("jira", [item("A-1", updated=T0)], "w1")
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SET TIME ZONE 'America/Sao_Paulo'")
            conn.commit()
    [back] = store.items()
    assert back.updated == T0 and back.updated is not None and back.updated.tzinfo is UTC
