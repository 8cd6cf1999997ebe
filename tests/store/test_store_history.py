"""Manual values, progress history, write markers, ETags, outcomes and acknowledgements."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from okr_sync.mapping import ManualValue, ProgressPoint
from okr_sync.store import state as store_module
from okr_sync.store.state import StateStore
from tests.store.factories import T0, item


def test_manual_values_keep_their_history_and_provenance(store: StateStore) -> None:
    assert store.manual_value("KR1") is None
    first = ManualValue(value=12.0, author="ana", at=T0)
    second = ManualValue(value=15.5, author="rui", at=T0 + timedelta(days=7))
    assert store.record_manual_value("KR1", first) is True
    assert store.record_manual_value("KR1", second) is True
    assert store.manual_value("KR1") == second
    assert store.manual_history("KR1") == [first, second]
    assert store.manual_value("KR2") is None


def test_the_same_manual_value_read_again_is_not_duplicated(store: StateStore) -> None:
    first = ManualValue(value=12.0, author="ana", at=T0)
    second = ManualValue(value=15.5, author="rui", at=T0 + timedelta(days=7))
    store.record_manual_value("KR1", first)
    store.record_manual_value("KR1", second)
    assert store.record_manual_value("KR1", second) is False  # identical to the latest
    assert store.record_manual_value("KR1", first) is False  # an older entry read again
    same_instant_other_zone = ManualValue(value=12.0, author="ana", at=T0.astimezone(timezone(timedelta(hours=2))))
    assert store.record_manual_value("KR1", same_instant_other_zone) is False
    assert store.manual_history("KR1") == [first, second]


def test_a_correction_at_the_same_time_is_kept_beside_the_original(store: StateStore) -> None:
    original = ManualValue(value=12.0, author="ana", at=T0)
    corrected = ManualValue(value=13.0, author="ana", at=T0)
    store.record_manual_value("KR1", original)
    assert store.record_manual_value("KR1", corrected) is True
    assert store.manual_value("KR1") == corrected  # same time: the one recorded last wins
    assert store.manual_history("KR1") == [original, corrected]


def test_an_older_manual_value_recorded_late_does_not_become_the_latest(store: StateStore) -> None:
    newer = ManualValue(value=20.0, author="ana", at=T0 + timedelta(days=3))
    older = ManualValue(value=10.0, author="rui", at=T0)
    store.record_manual_value("KR1", newer)
    store.record_manual_value("KR1", older)
    assert store.manual_value("KR1") == newer
    assert store.manual_history("KR1") == [older, newer]


def test_progress_history_is_ordered_by_time_whatever_the_recording_order(store: StateStore) -> None:
    times = [T0 + timedelta(days=d) for d in (14, 0, 7)]
    for at, progress in zip(times, (0.5, 0.1, 0.3), strict=True):
        assert store.record_progress("KR1", at, progress, "on_track") is True
    assert store.progress_history("KR1") == [
        ProgressPoint(at=T0, progress=0.1),
        ProgressPoint(at=T0 + timedelta(days=7), progress=0.3),
        ProgressPoint(at=T0 + timedelta(days=14), progress=0.5),
    ]
    assert all(p.at.tzinfo is UTC for p in store.progress_history("KR1"))
    assert store.progress_history("KR1", since=T0 + timedelta(days=1)) == store.progress_history("KR1")[1:]
    assert store.progress_history("KR2") == []


def test_progress_is_recorded_only_when_it_changes(store: StateStore) -> None:
    assert store.record_progress("KR1", T0, 0.2, "on_track") is True
    assert store.record_progress("KR1", T0 + timedelta(minutes=5), 0.2, "on_track") is False
    assert store.record_progress("KR1", T0 + timedelta(minutes=10), 0.2, "at_risk") is True
    assert store.record_progress("KR1", T0 + timedelta(minutes=15), 0.25, "at_risk") is True
    assert [p.progress for p in store.progress_history("KR1")] == [0.2, 0.2, 0.25]


def test_progress_at_returns_the_latest_point_not_after_the_time(store: StateStore) -> None:
    store.record_progress("OBJ1", T0, 0.1, "on_track")
    store.record_progress("OBJ1", T0 + timedelta(days=7), 0.4, "on_track")
    assert store.progress_at("OBJ1", T0 - timedelta(seconds=1)) is None
    assert store.progress_at("OBJ1", T0) == 0.1
    assert store.progress_at("OBJ1", T0 + timedelta(days=6)) == 0.1
    assert store.progress_at("OBJ1", T0 + timedelta(days=30)) == 0.4


def test_a_point_at_the_same_time_replaces_the_earlier_one(store: StateStore) -> None:
    store.record_progress("KR1", T0, 0.1, "on_track")
    store.record_progress("KR1", T0, 0.15, "on_track")
    assert store.progress_history("KR1") == [ProgressPoint(at=T0, progress=0.15)]


def test_naive_times_are_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        store.record_progress("KR1", datetime(2026, 1, 1), 0.1, "on_track")
    assert store.progress_history("KR1") == []


def test_write_markers_per_target(store: StateStore) -> None:
    assert store.written("jira", "PGE-2") == {}
    store.record_written("jira", "PGE-2", "field:progress", "fp1")
    store.record_written("jira", "PGE-2", "comment:status", "fp2")
    store.record_written("jira", "PGE-2", "field:progress", "fp3")  # replaced
    store.record_written("gitlab", "PGE-2", "labels", "fp4")
    assert store.written("jira", "PGE-2") == {"field:progress": "fp3", "comment:status": "fp2"}
    store.forget_written("jira", "PGE-2", "comment:status")
    assert store.written("jira", "PGE-2") == {"field:progress": "fp3"}
    store.forget_written("jira", "PGE-2")
    assert store.written("jira", "PGE-2") == {}
    assert store.written("gitlab", "PGE-2") == {"labels": "fp4"}


def _newest_outcomes(store: StateStore) -> dict[str, tuple[Any, ...]]:
    """Per tracker, its newest recorded outcome row (read as ``okr-sync`` operators would, with SQL)."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT tracker, started, finished, ok, calls, writes, problems "
                                    "FROM cycle_outcomes ORDER BY id").all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_outcomes_are_recorded_per_tracker(store: StateStore) -> None:
    assert _newest_outcomes(store) == {}
    store.record_outcome("jira", T0, T0 + timedelta(seconds=3), True, 4, 2, [])
    store.record_outcome("jira", T0 + timedelta(minutes=5), T0 + timedelta(minutes=5, seconds=2), False, 1, 0,
                         ["PGE-9: permission denied on field 'OKR Progress'"])
    store.record_outcome("gitlab", T0, T0 + timedelta(seconds=1), True, 2, 0, [])
    outcomes = _newest_outcomes(store)
    assert outcomes["jira"][2:] == (False, 1, 0, '["PGE-9: permission denied on field \'OKR Progress\'"]')
    assert outcomes["gitlab"][2:4] == (True, 2)


def test_old_outcomes_are_pruned(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "OUTCOMES_KEPT", 3)
    for n in range(6):
        store.record_outcome("jira", T0, T0 + timedelta(minutes=n), True, n, 0, [])
    store.record_outcome("gitlab", T0, T0, True, 99, 0, [])
    with store.engine.connect() as conn:
        calls = sorted(conn.exec_driver_sql("SELECT calls FROM cycle_outcomes WHERE tracker = 'jira'").scalars())
    assert calls == [3, 4, 5]


def test_acknowledgements_keep_the_first(store: StateStore) -> None:
    assert store.acknowledged("KR1") == set()
    store.acknowledge("KR1", "behind-pace:2026-W02", "ana", T0)
    store.acknowledge("KR1", "behind-pace:2026-W02", "rui", T0 + timedelta(hours=1))
    store.acknowledge("KR1", "no-plan:2026-W03", "ana", T0)
    store.acknowledge("KR2", "stale", "rui", T0)
    assert store.acknowledged("KR1") == {"behind-pace:2026-W02", "no-plan:2026-W03"}
    assert store.acknowledgement("KR1", "behind-pace:2026-W02") == ("ana", T0)
    assert store.acknowledgement("KR1", "unknown") is None


def test_threads_share_one_store(store: StateStore) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(25):
                at = T0 + timedelta(minutes=n)
                store.record_progress(f"KR{worker}", at, n / 100, "on_track")
                store.record_written("jira", f"H-{worker}", f"t{n}", f"fp{n}")
                store.progress_history(f"KR{worker}")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    def pulls(tracker: str) -> None:
        try:
            for n in range(10):
                store.commit_pull(tracker, [item(f"{tracker}-{k}", f"KR{k}", tracker=tracker, title=f"v{n}")
                                            for k in range(50)], f"w{n}", full=True)
                assert len(store.items(tracker=tracker)) == 50
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    threads += [threading.Thread(target=pulls, args=(t,)) for t in ("jira", "gitlab")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.watermark("jira") == store.watermark("gitlab") == "w9"
    assert {i.title for i in store.items()} == {"v9"}
    assert all(len(store.progress_history(f"KR{w}")) == 25 for w in range(6))
    assert all(len(store.written("jira", f"H-{w}")) == 25 for w in range(6))
