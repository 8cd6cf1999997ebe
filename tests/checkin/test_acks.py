"""Acknowledged findings stop repeating until their facts change (issue 10, acceptance 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from okr_sync.connectors.base import AckSign
from okr_sync.engine.acks import (
    acknowledged_fingerprints,
    decide,
    learn,
    rule_from_label,
    rules_in_comment,
    sign_id,
    split_findings,
    suppressed_count,
    without_acknowledged,
)
from okr_sync.engine.compute import Computed
from okr_sync.mapping import CompletionMeasure, Cycle, KeyResult, KrKind, StatusCategory, WorkItem, kr_status
from okr_sync.store.state import StateStore

Q4 = Cycle("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
NOW = datetime(2026, 11, 16, tzinfo=UTC)
KR = KeyResult("KR1", "Settle faster", ("O1",), "ana", "Attorney", KrKind.VALUE, CompletionMeasure())


def items(*overdue_keys: str) -> list[WorkItem]:
    """Three done items, one planned for next week (on pace), and the given items overdue (due Nov 10)."""
    found = [WorkItem("jira", key, "done", StatusCategory.DONE, ("KR1",), completed=NOW - timedelta(days=2),
                      updated=NOW - timedelta(days=2)) for key in ("A1", "A2", "A3")]
    found += [WorkItem("jira", "B", "next", StatusCategory.IN_PROGRESS, ("KR1",), due=date(2026, 11, 25),
                      updated=NOW - timedelta(days=1))]
    found += [WorkItem("jira", key, f"late {key}", StatusCategory.TODO, ("KR1",), due=date(2026, 11, 10),
                       planned_week="2026-W48", updated=NOW - timedelta(days=1)) for key in overdue_keys]
    return found


def computed_at(now: datetime, *overdue_keys: str) -> Computed:
    return Computed(now, {"KR1": kr_status(KR, Q4, items(*overdue_keys), now=now)}, {}, ())


def rules_shown(computed: Computed, store: StateStore) -> list[str]:
    shown = without_acknowledged(computed, acknowledged_fingerprints(store, ["KR1"]))
    return [f.rule for f in shown.key_results["KR1"].findings]


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'acks.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def test_labels_and_comment_lines_name_rules() -> None:
    assert rule_from_label("okr-ack:overdue_items") == "overdue_items"
    assert rule_from_label("OKR-ACK:Overdue-Items") == "overdue_items"
    assert rule_from_label("okr-status::at-risk") is None and rule_from_label("okr-ack:") is None
    text = "Thanks.\nokr-ack: overdue_items, blocked_items\n  OKR-ACK : stale-kr  \nnot okr-ack: behind_pace"
    assert rules_in_comment(text) == ("overdue_items", "blocked_items", "stale_kr")
    assert rules_in_comment("no acknowledgement here") == ()


def test_acknowledged_finding_is_hidden_until_the_facts_change(store: StateStore) -> None:
    first = computed_at(NOW, "C")
    assert rules_shown(first, store) == ["overdue_items"]
    label = AckSign("overdue_items", "ana", NOW + timedelta(hours=1), "label", subject="KR1")
    assert [a.rule for a in learn(store, first, [label])] == ["overdue_items"]
    assert rules_shown(first, store) == []
    assert suppressed_count(first, acknowledged_fingerprints(store, ["KR1"])) == 1

    # a day later, same facts (same overdue item): still hidden, and the label seen again changes nothing
    later = computed_at(NOW + timedelta(days=1), "C")
    assert learn(store, later, [label]) == []
    assert rules_shown(later, store) == []

    # another item becomes overdue: new facts, new fingerprint → shown again, though the label is still there
    changed = computed_at(NOW + timedelta(days=2), "C", "D")
    assert learn(store, changed, [label]) == []
    assert rules_shown(changed, store) == ["overdue_items"]

    # a new comment line acknowledges the new facts
    comment = AckSign("overdue_items", "ana", NOW + timedelta(days=2, hours=1), "comment:10042", subject="KR1")
    learn(store, changed, [label, comment])
    assert rules_shown(changed, store) == []
    assert store.acknowledgement("KR1", changed.key_results["KR1"].findings[0].fingerprint) == (
        "ana", NOW + timedelta(days=2, hours=1))


def test_a_signal_for_a_rule_with_no_finding_does_not_preempt_a_later_finding(store: StateStore) -> None:
    quiet = computed_at(NOW)
    early = AckSign("overdue_items", "ana", NOW, "label", subject="KR1")
    assert learn(store, quiet, [early]) == []
    late = computed_at(NOW + timedelta(days=1), "C")
    assert learn(store, late, [early]) == []  # already seen: it acknowledged nothing then
    assert rules_shown(late, store) == ["overdue_items"]


def test_decide_is_pure_and_applies_each_signal_once() -> None:
    finding = computed_at(NOW, "C").key_results["KR1"].findings[0]
    signal = AckSign("overdue_items", "ana", NOW, "label", subject="KR1")
    twice = [signal, replace(signal)]
    acks, applied = decide({"KR1": [finding]}, twice, {})
    assert [(a.subject, a.fingerprint) for a in acks] == [("KR1", finding.fingerprint)]
    assert applied == [signal]
    assert decide({"KR1": [finding]}, twice, {"KR1": {sign_id(signal)}}) == ([], [])
    assert split_findings([finding], {finding.fingerprint}) == ((), (finding,))
