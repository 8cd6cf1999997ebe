"""Bulk reads (sync/store/bulk.py) answer exactly what the per-subject reads answer, on SQLite and PostgreSQL,
in one query per kind of fact — the engine and compute use them once per cycle (issue 13's benchmark)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from okr_sync.mapping import ManualValue
from okr_sync.store.state import StateStore

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _fill(store: StateStore) -> list[str]:
    subjects = [f"O{n // 5}-KR{n}" for n in range(510)] + ["O1"]  # more than one IN chunk (500)
    for n, subject in enumerate(subjects[::41]):
        for k in range(n % 4):
            store.record_progress(subject, T0 + timedelta(days=k), 0.1 * (k + 1), "on_track")
        if n % 2:
            store.record_manual_value(subject, ManualValue(1.0 + n, "ana", T0))
            store.record_manual_value(subject, ManualValue(2.0 + n, "rui", T0 + timedelta(hours=1)))
            store.record_manual_value(subject, ManualValue(3.0 + n, "ana", T0 + timedelta(hours=1)))  # tie: last wins
        if n % 3 == 0:
            store.acknowledge(subject, f"fp-{n}", "ana", T0)
            store.acknowledge(subject, "seen:x", "ana", T0)
        store.record_written("jira", f"PGE-{n}", "desired", f"d{n}")
        store.record_written("jira", f"PGE-{n}", "status comment", f"c{n}")
    return subjects


def test_bulk_reads_equal_the_per_subject_reads(store: StateStore) -> None:
    subjects = _fill(store)
    sample = subjects[::41] + subjects[1:4]  # every subject with facts, and some without
    rest = set(subjects) - set(sample)
    histories = store.progress_histories(subjects)
    assert set(histories) == set(subjects) and not any(histories[s] for s in rest)
    assert {s: histories[s] for s in sample} == {s: store.progress_history(s) for s in sample}
    assert any(len(points) == 3 for points in histories.values())
    manual = store.latest_manual_values(subjects)
    assert manual == {s: v for s in sample if (v := store.manual_value(s)) is not None}
    assert manual and all(v.author == "ana" and v.value % 1 == 0 for v in manual.values())
    acks = store.acknowledged_by_subject(subjects)
    assert set(acks) == set(subjects) and not any(acks[s] for s in rest)
    assert {s: acks[s] for s in sample} == {s: store.acknowledged(s) for s in sample}
    assert sum(len(v) for v in acks.values()) >= 2
    written = store.written_all()
    assert written == {("jira", k): store.written("jira", k) for _, k in written}
    assert written[("jira", "PGE-0")] == {"desired": "d0", "status comment": "c0"}


def test_bulk_reads_cost_one_query_per_chunk(store: StateStore) -> None:
    subjects = _fill(store)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    store.progress_histories(subjects)
    store.latest_manual_values(subjects)
    store.acknowledged_by_subject(subjects)
    store.written_all()
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3 * 2 + 1, selects  # 511 subjects = 2 chunks of ≤ 500, written_all = 1
