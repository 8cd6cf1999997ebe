"""Hand-computed cases for bands, expected pace, status, forecast, ISO weeks and planned vs executed."""

from __future__ import annotations

from datetime import date

import pytest
from mapping_factories import CANCELLED, DONE, Q4, TODO, at, day, item

from okr_sync.mapping import (
    Cycle,
    KrStatusValue,
    ProgressPoint,
    ScoreBand,
    Thresholds,
    expected_progress,
    forecast,
    iso_week,
    next_week,
    planned_vs_executed,
    previous_week,
    score_band,
    status_from_pace,
    week_bounds,
)


@pytest.mark.parametrize(("progress", "band"), [
    (0.0, ScoreBand.RED), (0.39, ScoreBand.RED), (0.4, ScoreBand.YELLOW), (0.69, ScoreBand.YELLOW),
    (0.7, ScoreBand.GREEN), (1.2, ScoreBand.GREEN),
])
def test_score_band(progress, band):
    assert score_band(progress) is band


def test_score_band_thresholds_are_configurable():
    assert score_band(0.5, Thresholds(red_below=0.6)) is ScoreBand.RED


MILESTONES = ((date(2026, 10, 31), 0.1), (date(2026, 11, 30), 0.6))

EXPECTED = [
    ("linear-midway", day(46), (), 0.5),
    ("linear-before-cycle", day(-3), (), 0.0),
    ("linear-after-cycle", day(120), (), 1.0),
    ("milestones-between", day(46), MILESTONES, 0.35),      # Nov 16: halfway from 0.1 (Nov 1) to 0.6 (Dec 1)
    ("milestones-first-leg", day(15.5), MILESTONES, 0.05),  # halfway from 0 (Oct 1) to 0.1 (Nov 1)
    ("milestones-last-leg", day(76.5), MILESTONES, 0.8),    # Dec 16 12:00: halfway from 0.6 to 1.0
    ("milestones-before", day(-1), MILESTONES, 0.0),
    ("milestone-at-end-holds", day(95), ((date(2026, 12, 31), 0.9),), 0.9),
]


@pytest.mark.parametrize(("now", "milestones", "expected"), [c[1:] for c in EXPECTED],
                         ids=[c[0] for c in EXPECTED])
def test_expected_progress(now, milestones, expected):
    assert expected_progress(Q4, now, milestones) == pytest.approx(expected)


STATUS = [
    # id, progress, expected, has_work, days into cycle, status
    ("small-gap", 0.45, 0.5, True, 46, KrStatusValue.ON_TRACK),
    ("gap-0.10-on-track", 0.40, 0.5, True, 46, KrStatusValue.ON_TRACK),
    ("ahead", 0.9, 0.5, True, 46, KrStatusValue.ON_TRACK),
    ("gap-0.20-at-risk", 0.30, 0.5, True, 46, KrStatusValue.AT_RISK),
    ("gap-0.25-at-risk", 0.25, 0.5, True, 46, KrStatusValue.AT_RISK),
    ("gap-0.30-off-track", 0.20, 0.5, True, 46, KrStatusValue.OFF_TRACK),
    ("complete", 1.0, 0.5, True, 46, KrStatusValue.DONE),
    ("stretch-complete", 1.3, 1.0, True, 92, KrStatusValue.DONE),
    ("no-work-day-8", 0.0, 8 / 92, False, 8, KrStatusValue.NOT_STARTED),
    ("no-work-day-7-grace", 0.0, 7 / 92, False, 7, KrStatusValue.ON_TRACK),
    ("no-work-late-not-started", 0.0, 0.8, False, 74, KrStatusValue.NOT_STARTED),
]


@pytest.mark.parametrize(("progress", "expected", "has_work", "days_in", "status"),
                         [c[1:] for c in STATUS], ids=[c[0] for c in STATUS])
def test_status_from_pace(progress, expected, has_work, days_in, status):
    assert status_from_pace(progress, expected, has_work=has_work, days_in=days_in) is status


def test_status_thresholds_are_configurable():
    strict = Thresholds(on_track_gap=0.02, at_risk_gap=0.05)
    assert status_from_pace(0.45, 0.5, has_work=True, days_in=46, thresholds=strict) is KrStatusValue.AT_RISK


FORECAST = [
    ("two-points-to-end", [ProgressPoint(day(0), 0.0), ProgressPoint(day(46), 0.5)], day(92), 1.0),
    ("least-squares-three", [ProgressPoint(day(0), 0.0), ProgressPoint(day(10), 0.2),
                             ProgressPoint(day(20), 0.1)], day(30), 0.2),
    ("same-time-averaged", [ProgressPoint(day(0), 0.0), ProgressPoint(day(10), 0.1),
                            ProgressPoint(day(10), 0.3)], day(20), 0.4),
    ("negative-trend-clamped", [ProgressPoint(day(0), 0.5), ProgressPoint(day(10), 0.1)], day(92), 0.0),
    ("single-point", [ProgressPoint(day(3), 0.2)], day(92), None),
    ("two-points-same-time", [ProgressPoint(day(3), 0.2), ProgressPoint(day(3), 0.4)], day(92), None),
    ("no-points", [], day(92), None),
]


@pytest.mark.parametrize(("points", "when", "expected"), [c[1:] for c in FORECAST],
                         ids=[c[0] for c in FORECAST])
def test_forecast(points, when, expected):
    result = forecast(points, when)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


ISO_WEEKS = [
    (date(2026, 12, 31), "2026-W53"),
    (date(2027, 1, 1), "2026-W53"),
    (date(2027, 1, 3), "2026-W53"),
    (date(2027, 1, 4), "2027-W01"),
    (date(2026, 1, 1), "2026-W01"),
    (date(2025, 12, 29), "2026-W01"),
    (date(2025, 12, 28), "2025-W52"),
    (date(2026, 11, 25), "2026-W48"),
]


@pytest.mark.parametrize(("d", "week"), ISO_WEEKS, ids=[w for _, w in ISO_WEEKS])
def test_iso_week(d, week):
    assert iso_week(d) == week


def test_week_53_of_2026_spans_the_year_boundary():
    assert week_bounds("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert week_bounds("2026-W01") == (date(2025, 12, 29), date(2026, 1, 4))


@pytest.mark.parametrize(("week", "after", "before"), [
    ("2026-W53", "2027-W01", "2026-W52"),
    ("2027-W01", "2027-W02", "2026-W53"),
    ("2026-W01", "2026-W02", "2025-W52"),
    ("2026-W48", "2026-W49", "2026-W47"),
])
def test_next_and_previous_week(week, after, before):
    assert next_week(week) == after
    assert previous_week(week) == before


@pytest.mark.parametrize(("week", "message"), [
    ("2025-W53", "ISO year 2025 has weeks 01..52"),
    ("2026-W00", "ISO year 2026 has weeks 01..53"),
    ("2026-53", "write it as YYYY-Www"),
    ("2026-w48", "write it as YYYY-Www"),
])
def test_week_bounds_rejects_bad_weeks(week, message):
    with pytest.raises(ValueError, match=message):
        week_bounds(week)


def test_planned_vs_executed_week_53_across_the_year_boundary():
    items = [
        item("A", DONE, due=date(2027, 1, 2), completed=at(2027, 1, 3, 23)),     # planned, done in time
        item("B", DONE, planned_week="2026-W53", completed=at(2027, 1, 4, 1)),   # planned, done late
        item("C", TODO, due=date(2026, 12, 28)),                                 # planned, open
        item("D", DONE, due=date(2026, 12, 27), completed=at(2026, 12, 30)),     # W52 item done in W53
        item("E", CANCELLED, due=date(2026, 12, 29)),                            # cancelled: not planned
        item("F", DONE, planned_week="2026-W53"),                                # done, time unknown
        item("G", DONE, due=date(2027, 1, 4), completed=at(2027, 1, 1)),         # next week's, done early
    ]
    week = planned_vs_executed(items, "2026-W53")
    assert (week.planned, week.executed, week.unplanned) == (4, 2, 2)
    assert week.rate == pytest.approx(0.5)
    assert week.planned_keys == ("A", "B", "C", "F")
    assert week.executed_keys == ("A", "F")
    assert week.unplanned_keys == ("D", "G")


def test_planned_vs_executed_with_nothing_planned_has_no_rate():
    week = planned_vs_executed([item("A", DONE, completed=at(2026, 11, 24))], "2026-W48")
    assert (week.planned, week.executed, week.rate, week.unplanned) == (0, 0, None, 1)


def test_cycle_rejects_end_before_start():
    with pytest.raises(ValueError, match="end 2026-09-01 is before start 2026-10-01"):
        Cycle("bad", date(2026, 10, 1), date(2026, 9, 1))


def test_forecast_needs_a_day_of_history() -> None:
    from datetime import UTC, datetime, timedelta

    from okr_sync.mapping import ProgressPoint, forecast

    start = datetime(2026, 11, 1, tzinfo=UTC)
    minutes = [ProgressPoint(start, 0.2), ProgressPoint(start + timedelta(minutes=5), 0.21)]
    assert forecast(minutes, start + timedelta(days=60), min_days=1) is None
    days = [ProgressPoint(start, 0.2), ProgressPoint(start + timedelta(days=2), 0.3)]
    assert forecast(days, start + timedelta(days=4), min_days=1) == pytest.approx(0.4)
