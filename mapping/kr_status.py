"""Assemble a KR's status: progress, band, pace, forecast, recent weeks and companion findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from okr_sync.mapping.companion import kr_findings
from okr_sync.mapping.execution import weeks_execution
from okr_sync.mapping.model import (
    Cycle,
    KeyResult,
    ManualValue,
    MetricMeasure,
    ProgressPoint,
    StatusCategory,
    Thresholds,
    WorkItem,
    require_aware,
)
from okr_sync.mapping.pace import (
    cycle_end_utc,
    cycle_start_utc,
    days_into_cycle,
    expected_progress,
    forecast,
    score_band,
    status_from_pace,
)
from okr_sync.mapping.progress import kr_progress
from okr_sync.mapping.results import KrStatus
from okr_sync.mapping.weeks import iso_week, previous_week, week_bounds


def recent_weeks(cycle: Cycle, now: datetime, count: int) -> tuple[str, ...]:
    """The last ``count`` completed ISO weeks before ``now`` that overlap the cycle, oldest first."""
    weeks: list[str] = []
    week = previous_week(iso_week(now.date()))
    while len(weeks) < count and week_bounds(week)[1] >= cycle.start:
        if week_bounds(week)[0] <= cycle.end:
            weeks.append(week)
        week = previous_week(week)
    return tuple(reversed(weeks))


def kr_status(
    kr: KeyResult,
    cycle: Cycle,
    items: Sequence[WorkItem],
    *,
    now: datetime,
    manual: ManualValue | None = None,
    history: Iterable[ProgressPoint] = (),
    thresholds: Thresholds = Thresholds(),  # noqa: B008
) -> KrStatus:
    """Status of ``kr`` at ``now`` from its linked ``items``, an optional manual value and history.

    The forecast fits the history inside the cycle up to ``now`` plus the current point;
    ``planned_vs_executed`` holds the last ``thresholds.recent_weeks`` completed ISO weeks of the cycle.
    Raises ``ValueError`` when ``now`` is naive.
    """
    now = require_aware(now, "kr_status", kr.id)
    result = kr_progress(kr, items, manual)
    progress = result.progress
    expected = expected_progress(cycle, now, kr.milestones)
    has_work = result.uses_manual or any(item.status is not StatusCategory.CANCELLED for item in items)
    status = status_from_pace(
        progress,
        expected,
        has_work=has_work,
        days_in=days_into_cycle(cycle, now),
        thresholds=thresholds,
    )
    start = cycle_start_utc(cycle)
    points = [point for point in history if start <= point.at <= now]
    points.append(ProgressPoint(now, progress))
    weeks = weeks_execution(items, recent_weeks(cycle, now, thresholds.recent_weeks))
    unit = kr.measure.unit if isinstance(kr.measure, MetricMeasure) else None
    status_value = KrStatus(
        kr_id=kr.id,
        progress=progress,
        current=result.current,
        band=score_band(progress, thresholds),
        status=status,
        expected=expected,
        gap=expected - progress,
        forecast=forecast(points, cycle_end_utc(cycle), min_days=thresholds.forecast_min_days),
        provenance=result.provenance,
        planned_vs_executed=weeks,
        unit=unit,
    )
    findings = kr_findings(
        kr,
        status_value,
        items,
        cycle=cycle,
        now=now,
        thresholds=thresholds,
        superseded=result.superseded_manual,
    )
    return replace(status_value, findings=findings)
