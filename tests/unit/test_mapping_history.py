"""Progress reconstructed from item dates (mapping.history): the burn-up's weekly line and the forecast of a
first cycle. Unknown weeks are gaps (None), never zeros; a short recorded history leans on the reconstruction."""

from __future__ import annotations

import pytest
from mapping_factories import DONE, Q4, TODO, day, item, kr

from okr_sync.mapping import ManualValue, MetricMeasure, ProgressPoint, kr_status
from okr_sync.mapping.history import forecast_history, reconstructed_progress, sample_moments


def test_done_items_count_from_their_completion_week_on() -> None:
    items = [item("A", DONE, completed=day(10), updated=day(10)), item("B", DONE, completed=day(30), updated=day(30)),
             item("C", TODO), item("D", TODO)]
    samples = dict(reconstructed_progress(kr(), Q4, items, [], day(40)))
    assert samples[min(samples)] == 0.0  # the cycle's start: nothing done yet
    assert next(v for t, v in sorted(samples.items()) if day(10) < t < day(30)) == pytest.approx(0.25)
    assert samples[day(40)] == pytest.approx(0.5)


def test_a_manual_metric_is_a_gap_before_its_first_value_and_no_items_is_a_gap() -> None:
    metric = kr(MetricMeasure(0, 100, source="manual"))
    samples = reconstructed_progress(metric, Q4, [], [ManualValue(40, "ana", day(20))], day(40))
    assert all(v is None for t, v in samples if t < day(20))
    assert all(v == pytest.approx(0.4) for t, v in samples if t >= day(20))
    assert all(v is None for _, v in reconstructed_progress(kr(), Q4, [], [], day(40)))


def test_weeks_end_on_sunday_midnight_and_the_last_sample_is_now() -> None:
    moments = sample_moments(Q4, day(20))
    assert moments[0] == day(0) and moments[-1] == day(20)
    assert all(m.weekday() == 0 and m.hour == 0 for m in moments[1:-1])  # next Monday 00:00 UTC


def test_a_short_recorded_history_leans_on_the_reconstruction_and_says_so() -> None:
    reconstructed = ((day(0), 0.0), (day(5), None), (day(12), 0.2), (day(19), 0.3), (day(20), 0.35))
    recorded = [ProgressPoint(day(20), 0.35)]
    points, leaned = forecast_history(recorded, reconstructed, min_days=1.0)
    assert leaned and [p.at for p in points] == [day(0), day(12), day(19), day(20)]  # gap skipped
    long = [ProgressPoint(day(10), 0.1), ProgressPoint(day(20), 0.35)]
    assert forecast_history(long, reconstructed, min_days=1.0) == (tuple(long), False)


def test_the_reconstruction_gives_a_first_day_forecast() -> None:
    items = [item(k, DONE, completed=day(n), updated=day(n)) for k, n in (("A", 6), ("B", 13), ("C", 20))]
    items += [item(k, TODO) for k in "DEFGHIJ"]
    now = day(21)
    alone = kr_status(kr(), Q4, items, now=now, history=[ProgressPoint(now, 0.3)])
    assert alone.forecast is None  # one recorded point: no trend
    points, _ = forecast_history([ProgressPoint(now, 0.3)], reconstructed_progress(kr(), Q4, items, [], now), 1.0)
    leaning = kr_status(kr(), Q4, items, now=now, history=points)
    assert leaning.forecast is not None and 1.0 < leaning.forecast < 1.6  # 10 % a week over 13 weeks
