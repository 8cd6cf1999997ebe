"""Companion rules and the assembled KR status, hand-computed on Q4 2026 at 2026-11-16 00:00 UTC."""

from __future__ import annotations

from datetime import date

import pytest
from mapping_factories import DOING, DONE, Q4, TODO, at, day, item, kr

from okr_sync.mapping import (
    RULES,
    CompletionMeasure,
    KrKind,
    KrStatusValue,
    ManualValue,
    MetricMeasure,
    ProgressPoint,
    Severity,
    kr_status,
    recent_weeks,
    unknown_kr_findings,
)

NOW = day(46)  # Monday 2026-11-16, ISO week 2026-W47; next week 2026-W48
HISTORY = (ProgressPoint(day(0), 0.0),)


def healthy(**changes: object):
    """Two items, half done, next week planned, recent change: no finding at all."""
    a = {"completed": day(44), "due": date(2026, 11, 13), "updated": day(44)}
    b = {"due": date(2026, 11, 25), "updated": day(45), "assignee": "bob"}
    b.update(changes)
    return [item("A", DONE, **a), item("B", DOING, **b)]


def rules(status):
    return {f.rule for f in status.findings}


def test_healthy_kr_status_is_fully_hand_computed():
    status = kr_status(kr(), Q4, healthy(), now=NOW, history=HISTORY)
    assert status.progress == 0.5
    assert status.expected == pytest.approx(0.5)
    assert status.gap == pytest.approx(0.0)
    assert status.status is KrStatusValue.ON_TRACK
    assert status.forecast == pytest.approx(1.0)  # (0, 0.0) and (46, 0.5) reach 1.0 on day 92
    assert status.provenance.rule == "completion by count"
    assert [w.week for w in status.planned_vs_executed] == ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]
    assert status.planned_vs_executed[-1].rate == 1.0
    assert status.findings == ()


SCENARIOS = [
    # id, kr overrides, items, manual, history, rule expected, severity
    ("at-risk", {"measure": MetricMeasure(0, 100)}, healthy(), ManualValue(30, "ana", day(45)), HISTORY,
     "behind_pace", Severity.WARNING),
    ("off-track", {"measure": MetricMeasure(0, 100)}, healthy(), ManualValue(10, "ana", day(45)), HISTORY,
     "behind_pace", Severity.CRITICAL),
    ("not-started", {}, [], None, (), "not_started", Severity.WARNING),
    ("forecast-low", {"measure": MetricMeasure(0, 100)}, healthy(), ManualValue(30, "ana", day(45)), HISTORY,
     "forecast_below_floor", Severity.WARNING),
    ("no-plan", {}, healthy(due=date(2026, 12, 10)), None, HISTORY, "no_plan_next_week", Severity.WARNING),
    ("blocked", {}, healthy(blocked=True), None, HISTORY, "blocked_items", Severity.WARNING),
    ("overdue", {}, healthy(due=date(2026, 11, 10), planned_week="2026-W48"), None, HISTORY,
     "overdue_items", Severity.WARNING),
    ("deliverable", {"kind": KrKind.DELIVERABLE}, healthy(), None, HISTORY, "deliverable_kr", Severity.INFO),
    ("no-owner", {"owner": "  "}, healthy(), None, HISTORY, "kr_without_owner", Severity.WARNING),
    ("manual-superseded", {"measure": MetricMeasure(0, 4, source="count")}, healthy(),
     ManualValue(3, "ana", day(40)), HISTORY, "manual_superseded", Severity.INFO),
]


@pytest.mark.parametrize(("kr_kw", "items", "manual", "history", "rule", "severity"),
                         [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_each_companion_rule_fires_with_reason_and_action(kr_kw, items, manual, history, rule, severity):
    status = kr_status(kr(**kr_kw), Q4, items, now=NOW, manual=manual, history=history)
    [finding] = [f for f in status.findings if f.rule == rule]
    assert finding.severity is severity
    assert finding.subject == "KR1"
    assert finding.reason and finding.action
    assert rule in RULES


def test_behind_pace_reason_carries_the_numbers():
    status = kr_status(kr(MetricMeasure(0, 100)), Q4, healthy(), now=NOW,
                       manual=ManualValue(30, "ana", day(45)))
    [finding] = [f for f in status.findings if f.rule == "behind_pace"]
    assert finding.reason == "progress 0.30 is 0.20 behind the expected 0.50 (at risk)"


def test_forecast_reason_and_value():
    status = kr_status(kr(MetricMeasure(0, 100)), Q4, healthy(), now=NOW,
                       manual=ManualValue(20, "ana", day(45)), history=HISTORY)
    assert status.forecast == pytest.approx(0.4)
    [finding] = [f for f in status.findings if f.rule == "forecast_below_floor"]
    assert finding.reason == "trend forecasts 0.40 at cycle end, below 0.70"


def test_no_plan_not_flagged_once_next_week_is_past_the_cycle():
    items = [item("A", DONE, completed=day(85)), item("B", updated=day(87))]
    status = kr_status(kr(), Q4, items, now=day(88))  # 2026-12-28, W53; next week starts 2027-01-04
    assert "no_plan_next_week" not in rules(status)


def test_stale_after_fourteen_days_without_linked_change():
    items = [item("A", DONE, completed=day(30), due=date(2026, 11, 1)),
             item("B", updated=day(31), planned_week="2026-W48")]
    stale = kr_status(kr(), Q4, items, now=NOW)
    [finding] = [f for f in stale.findings if f.rule == "stale_kr"]
    assert finding.reason == "no linked change for 15 days (last 2026-11-01; limit 14)"
    fresh_items = [items[0], item("B", updated=day(33), planned_week="2026-W48")]
    assert "stale_kr" not in rules(kr_status(kr(), Q4, fresh_items, now=NOW))


def test_low_execution_needs_two_consecutive_weeks_below_sixty_percent():
    w45 = [item("A", DONE, due=date(2026, 11, 3), completed=day(33)), item("B", TODO, due=date(2026, 11, 4))]
    w46 = [item("C", TODO, due=date(2026, 11, 10)), item("D", DONE, due=date(2026, 11, 11), completed=day(50))]
    plan = [item("E", updated=day(45), planned_week="2026-W48")]
    status = kr_status(kr(), Q4, w45 + w46 + plan, now=NOW)
    [finding] = [f for f in status.findings if f.rule == "low_execution"]
    assert finding.reason == "executed below 60% of plan for 2 weeks: 2026-W45 1/2, 2026-W46 0/2"
    assert finding.facts == ("2026-W45", "2026-W46")
    good_w46 = [item("C", DONE, due=date(2026, 11, 10), completed=day(41))]
    assert "low_execution" not in rules(kr_status(kr(), Q4, w45 + good_w46 + plan, now=NOW))


def test_done_kr_is_not_nagged_about_pace_plans_or_staleness():
    items = [item("A", DONE, completed=day(10))]
    status = kr_status(kr(), Q4, items, now=NOW)
    assert status.status is KrStatusValue.DONE
    assert rules(status) == set()


def test_fingerprint_ignores_numeric_drift_but_follows_the_facts():
    manual = MetricMeasure(0, 100)
    one = kr_status(kr(manual), Q4, healthy(), now=NOW, manual=ManualValue(30, "a", day(45)))
    two = kr_status(kr(manual), Q4, healthy(), now=day(47), manual=ManualValue(31, "a", day(45)))
    pace = [f for f in one.findings + two.findings if f.rule == "behind_pace"]
    assert pace[0].reason != pace[1].reason
    assert pace[0].fingerprint == pace[1].fingerprint
    blocked_b = kr_status(kr(), Q4, healthy(blocked=True), now=NOW).findings
    blocked_c = kr_status(kr(), Q4, [*healthy(), item("C", blocked=True)], now=NOW).findings
    fb = next(f for f in blocked_b if f.rule == "blocked_items")
    fc = next(f for f in blocked_c if f.rule == "blocked_items")
    assert fb.fingerprint != fc.fingerprint
    assert len(fb.fingerprint) == 16


def test_unknown_kr_ids_are_reported_per_id_with_their_items():
    items = [item("A", kr_ids=("KR1", "KR9")), item("B", kr_ids=("KR9",)), item("C", kr_ids=("X 1",))]
    findings = unknown_kr_findings(items, {"KR1"})
    assert [(f.subject, f.facts) for f in findings] == [
        ("KR9", ("jira:A", "jira:B")), ("X 1", ("jira:C",)),
    ]
    assert findings[0].reason == "2 item(s) reference undefined KR 'KR9': jira:A, jira:B"


def test_recent_weeks_stay_inside_the_cycle():
    assert recent_weeks(Q4, day(12), 4) == ("2026-W40", "2026-W41")  # Oct 13 is in W42; W40 holds Oct 1
    assert recent_weeks(Q4, at(2027, 1, 6), 2) == ("2026-W52", "2026-W53")


def test_partial_credit_and_milestones_flow_into_status():
    ms = ((date(2026, 11, 30), 0.3),)
    status = kr_status(kr(CompletionMeasure(partial_credit=0.5), milestones=ms), Q4, healthy(), now=NOW)
    # progress (1 + 0.5) / 2 = 0.75; expected 0.3 * 46/61 on the path Oct 1 → Dec 1
    assert status.progress == pytest.approx(0.75)
    assert status.expected == pytest.approx(0.3 * 46 / 61)
    assert status.status is KrStatusValue.ON_TRACK
