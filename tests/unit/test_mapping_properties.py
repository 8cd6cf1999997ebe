"""Hypothesis properties of the OKR core (issue 4, acceptance 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapping_factories import CANCELLED, DOING, DONE, Q4, TODO, at, day, item, kr

from okr_sync.mapping import (
    CompletionMeasure,
    KrStatus,
    KrStatusValue,
    MetricMeasure,
    Objective,
    ProgressPoint,
    Provenance,
    ScoreBand,
    checkin_marker,
    completion_progress,
    compose_checkin,
    escape,
    forecast,
    iso_week,
    kr_status,
    metric_progress,
    objective_status,
    parse_marker,
    planned_vs_executed,
    render_checkin,
    render_status_block,
    week_bounds,
    weeks_execution,
    wrap_marker,
)

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
STATUSES = st.sampled_from([TODO, DOING, DONE, CANCELLED])
WEIGHT = st.one_of(st.none(), st.floats(0, 20, allow_nan=False))
FLAVOURS = st.sampled_from(["markdown", "wiki", "text"])


@st.composite
def work(draw):
    n = draw(st.integers(1, 12))
    return [item(f"I{i}", draw(STATUSES), points=draw(WEIGHT), estimate=draw(WEIGHT)) for i in range(n)]


@FAST
@given(work(), st.sampled_from(["count", "points", "estimate"]), st.floats(0, 1), st.data())
def test_completing_an_item_never_lowers_completion_progress(items, weight, credit, data):
    open_positions = [i for i, it in enumerate(items) if it.status in (TODO, DOING)]
    if not open_positions:
        return
    index = data.draw(st.sampled_from(open_positions))
    measure = CompletionMeasure(weight, credit)
    before = completion_progress(measure, items).progress
    after_items = list(items)
    old = items[index]
    after_items[index] = item(old.key, DONE, points=old.points, estimate=old.estimate)
    after = completion_progress(measure, after_items).progress
    assert after >= before - 1e-12
    assert 0.0 <= before <= 1.0 and 0.0 <= after <= 1.0


FINITE = st.floats(-1e6, 1e6, allow_nan=False)


@FAST
@given(FINITE, FINITE, FINITE, st.one_of(st.none(), st.floats(0.01, 2.0)))
def test_a_decreasing_metric_mirrors_the_increasing_one(baseline, target, current, stretch_extra):
    if abs(target - baseline) < 1e-3:
        return
    stretch = None if stretch_extra is None else target + (target - baseline) * stretch_extra
    up = MetricMeasure(baseline, target, stretch)
    mirrored_stretch = None if stretch is None else 2 * baseline - stretch
    down = MetricMeasure(baseline, 2 * baseline - target, mirrored_stretch)
    assert metric_progress(down, 2 * baseline - current) == pytest.approx(metric_progress(up, current))
    negated = MetricMeasure(-baseline, -target, None if stretch is None else -stretch)
    assert metric_progress(negated, -current) == pytest.approx(metric_progress(up, current))
    assert metric_progress(up, current) >= 0.0


def _status(kr_id: str, progress: float) -> KrStatus:
    return KrStatus(kr_id, progress, None, ScoreBand.RED, KrStatusValue.ON_TRACK, 0.5, 0.5 - progress, None,
                    Provenance("test"))


@FAST
@given(st.lists(st.tuples(st.floats(0, 1.5), st.floats(0.01, 10)), min_size=1, max_size=8),
       st.floats(0, 92))
def test_objective_progress_lies_within_its_krs_range(parts, when):
    krs = [kr(id=f"KR{i}", weight=w) for i, (_, w) in enumerate(parts)]
    statuses = [_status(f"KR{i}", p) for i, (p, _) in enumerate(parts)]
    objective = Objective("O1", "t", "why", "o", "2026-Q4")
    result = objective_status(objective, Q4, statuses, krs, now=day(when))
    progresses = [p for p, _ in parts]
    assert min(progresses) - 1e-9 <= result.progress <= max(progresses) + 1e-9


WEEK_DAYS = st.dates(date(2026, 12, 14), date(2027, 1, 17))


@st.composite
def dated_work(draw):
    items = []
    for i in range(draw(st.integers(0, 15))):
        status = draw(STATUSES)
        completed = None
        if status is DONE and draw(st.booleans()):
            completed = at(2026, 12, 14) + timedelta(hours=draw(st.integers(0, 34 * 24)))
        tagged = draw(st.one_of(st.none(), WEEK_DAYS.map(iso_week)))
        items.append(item(f"I{i}", status, due=draw(st.one_of(st.none(), WEEK_DAYS)),
                          planned_week=tagged, completed=completed))
    return items


@FAST
@given(dated_work(), WEEK_DAYS.map(iso_week))
def test_execution_rate_lies_in_unit_interval(items, week):
    result = planned_vs_executed(items, week)
    assert 0 <= result.executed <= result.planned
    if result.planned:
        assert result.rate is not None and 0.0 <= result.rate <= 1.0
    else:
        assert result.rate is None
    assert not set(result.unplanned_keys) & set(result.planned_keys)


def _reference_execution(items, week):
    """The definition, written the slow obvious way."""
    monday, sunday = week_bounds(week)
    end = datetime.combine(sunday + timedelta(days=1), time.min, tzinfo=UTC)
    start = end - timedelta(days=7)
    live = [i for i in items if i.status is not CANCELLED]
    planned = [i for i in live if i.planned_week == week or (i.due is not None and monday <= i.due <= sunday)]
    executed = [i for i in planned if i.status is DONE and (i.completed is None or i.completed < end)]
    unplanned = [i for i in live if i.status is DONE and i.completed is not None
                 and start <= i.completed < end and i not in planned]
    return ([i.key for i in planned], [i.key for i in executed], [i.key for i in unplanned])


@FAST
@given(dated_work(), st.lists(WEEK_DAYS.map(iso_week), min_size=1, max_size=5, unique=True))
def test_one_pass_over_several_weeks_matches_the_definition(items, weeks):
    for result, week in zip(weeks_execution(items, weeks), weeks, strict=True):
        expected = _reference_execution(items, week)
        assert result.week == week
        assert [list(result.planned_keys), list(result.executed_keys), list(result.unplanned_keys)] == [
            sorted(keys) for keys in expected
        ]


@FAST
@given(st.floats(0, 0.05), st.floats(0, 1), st.lists(st.floats(0, 91), min_size=2, max_size=10, unique=True))
def test_forecast_is_exact_on_perfectly_linear_history(slope, intercept, days):
    # history spanning less than a day gives no forecast (and extrapolating microseconds is numerically
    # meaningless), so the property is stated for histories of at least a day
    points = [ProgressPoint(day(d), intercept + slope * d) for d in days]
    if max(days) - min(days) < 1:
        assert forecast(points, day(92), min_days=1) is None
        return
    assert forecast(points, day(92), min_days=1) == pytest.approx(intercept + slope * 92, rel=1e-6, abs=1e-9)


IDS = st.text(min_size=1, max_size=30)
WEEKS = st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(iso_week)


@FAST
@given(IDS, WEEKS, FLAVOURS, st.text(max_size=60))
def test_rendering_then_parsing_a_marker_gives_back_kr_and_week(kr_id, week, flavour, noise):
    text = escape(noise, flavour) + "\n" + wrap_marker(checkin_marker(kr_id, week), flavour) + "\n"
    marker = parse_marker(text)
    assert marker is not None
    assert (marker.kind, marker.subject_id, marker.week) == ("checkin", kr_id, week)


@settings(max_examples=40, deadline=None, database=None)
@given(IDS, st.text(max_size=40), FLAVOURS)
def test_full_renderings_parse_back_whatever_the_ids_and_titles(kr_id, title, flavour):
    key_result = kr(id=kr_id)
    items = [item("A", title=title, kr_ids=(kr_id,), due=date(2026, 11, 25), assignee=title or None)]
    status = kr_status(key_result, Q4, items, now=day(46))
    checkin = compose_checkin(key_result, status, items, "2026-W47", now=day(46), previous_progress=None)
    block = parse_marker(render_status_block(status, flavour, title=title))
    assert block is not None and (block.kind, block.subject_id) == ("status", kr_id)
    marker = parse_marker(render_checkin(checkin, flavour))
    assert marker is not None and (marker.subject_id, marker.week) == (kr_id, "2026-W47")
