"""Edge cases that the scenario tables do not reach."""

from __future__ import annotations

from datetime import date

import pytest
from mapping_factories import CANCELLED, DONE, Q4, TODO, at, day, item, kr

from okr_sync.mapping import Thresholds, compose_checkin, expected_progress, kr_status
from okr_sync.mapping.execution import is_planned_for


def test_last_change_is_the_later_of_updated_and_completed():
    assert item("A", DONE, updated=at(2026, 11, 1), completed=at(2026, 11, 2)).last_change == at(2026, 11, 2)
    assert item("A", DONE, updated=at(2026, 11, 3), completed=at(2026, 11, 2)).last_change == at(2026, 11, 3)
    assert item("A", DONE, completed=at(2026, 11, 2)).last_change == at(2026, 11, 2)
    assert item("A").last_change is None


def test_cancelled_items_are_never_planned():
    monday, sunday = date(2026, 11, 23), date(2026, 11, 29)
    assert not is_planned_for(item("A", CANCELLED, planned_week="2026-W48"), "2026-W48", monday, sunday)
    assert is_planned_for(item("A", TODO, planned_week="2026-W48"), "2026-W48", monday, sunday)


def test_milestones_outside_the_cycle_or_on_the_same_day_are_ignored():
    noisy = ((date(2026, 9, 1), 0.9), (date(2026, 10, 31), 0.1), (date(2026, 10, 31), 0.5),
             (date(2027, 2, 1), 0.2))
    # Effective path: Oct 1 → 0, Nov 1 → 0.1, Jan 1 → 1.0; Nov 16 is 15/61 along the last leg.
    assert expected_progress(Q4, day(46), noisy) == pytest.approx(0.1 + 0.9 * 15 / 61)


def test_low_execution_rule_can_be_switched_off():
    items = [item("A", TODO, due=date(2026, 11, 3)), item("B", TODO, due=date(2026, 11, 10))]
    status = kr_status(kr(), Q4, items, now=day(46), thresholds=Thresholds(low_execution_weeks=0))
    assert "low_execution" not in {f.rule for f in status.findings}
    default = kr_status(kr(), Q4, items, now=day(46))
    assert "low_execution" in {f.rule for f in default.findings}


def test_checkin_without_previous_progress_has_no_delta():
    status = kr_status(kr(), Q4, [], now=day(46))
    checkin = compose_checkin(kr(), status, [], "2026-W47", now=day(46), previous_progress=None)
    assert checkin.delta is None
    assert checkin.plans == () and checkin.execution.rate is None


def test_naive_now_is_refused_with_a_fix():
    naive = day(46).replace(tzinfo=None)
    with pytest.raises(ValueError, match=r"kr_status\('KR1'\): now=2026-11-16T00:00:00 has no time zone"):
        kr_status(kr(), Q4, [], now=naive)


def test_now_in_another_zone_is_read_as_utc():
    from datetime import timedelta, timezone

    local = day(46).astimezone(timezone(timedelta(hours=-3)))  # 2026-11-15 21:00 at UTC-3
    assert kr_status(kr(), Q4, [], now=local) == kr_status(kr(), Q4, [], now=day(46))


def test_work_items_are_hashable():
    assert len({item("A", numbers={"n": 1.0}), item("A", numbers={"n": 1.0})}) == 1


def test_forecast_uses_only_history_inside_the_cycle_and_before_now():
    from okr_sync.mapping import ProgressPoint

    history = [ProgressPoint(day(-30), 0.9), ProgressPoint(day(0), 0.0), ProgressPoint(day(60), 0.0)]
    items = [item("A", DONE, completed=day(40)), item("B", due=date(2026, 11, 25))]
    status = kr_status(kr(), Q4, items, now=day(46), history=history)
    assert status.forecast == pytest.approx(1.0)  # only (0, 0.0) and the current (46, 0.5) count


def test_history_spanning_less_than_a_day_gives_no_forecast():
    from datetime import timedelta

    from okr_sync.mapping import ProgressPoint

    items = [item("A", DONE, completed=day(40)), item("B", due=date(2026, 11, 25))]
    minutes = [ProgressPoint(day(46) - timedelta(minutes=5), 0.1)]
    assert kr_status(kr(), Q4, items, now=day(46), history=minutes).forecast is None
    relaxed = Thresholds(forecast_min_days=0.0)
    assert kr_status(kr(), Q4, items, now=day(46), history=minutes, thresholds=relaxed).forecast is not None
