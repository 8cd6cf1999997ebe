"""A KR's past progress reconstructed from today's items, week by week.

A new installation has no recorded history, yet its items carry dates: an item done after a week's
end was not done then, and the owner's manual value counted from the moment it was entered. From
these, :func:`reconstructed_progress` gives one progress figure per week end of the cycle so far —
what the burn-up draws and, until the recorded history spans enough time, what the forecast fits.

It cannot know items created later or values edited since; where nothing is known (a manual metric
before its first value) the figure is ``None``: a gap, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from okr_sync.mapping.model import Cycle, KeyResult, ManualValue, MetricMeasure, ProgressPoint, StatusCategory, WorkItem
from okr_sync.mapping.pace import cycle_end_utc, cycle_start_utc
from okr_sync.mapping.progress import kr_progress
from okr_sync.mapping.weeks import iso_week, week_end_utc

Sample = tuple[datetime, float | None]


def as_of(item: WorkItem, moment: datetime) -> WorkItem:
    """The item as it stood at ``moment`` as far as today's copy tells: done later means not done then."""
    finished = item.completed or item.updated
    if item.status is StatusCategory.DONE and (finished is None or finished > moment):
        return replace(item, status=StatusCategory.IN_PROGRESS, numbers={}, completed=None)
    return item


def sample_moments(cycle: Cycle, until: datetime) -> list[datetime]:
    """The cycle's start, each ISO week's end before ``until`` (and the cycle end), then ``until`` itself."""
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    moments, week = [start], iso_week(cycle.start)
    while (moment := week_end_utc(week)) < min(until, end):
        moments.append(moment)
        week = iso_week(moment.date())
    if start < until:
        moments.append(min(until, end))
    return moments


def reconstructed_progress(kr: KeyResult, cycle: Cycle, items: Sequence[WorkItem], manual: Sequence[ManualValue],
                           now: datetime) -> tuple[Sample, ...]:
    """Progress at each of :func:`sample_moments` up to ``now``; ``None`` where nothing is known.

    ``manual`` is the KR's manual values, any order. A manual metric KR is unknown before its first value.
    """
    values = sorted(manual, key=lambda value: value.at)
    manual_only = isinstance(kr.measure, MetricMeasure) and kr.measure.source == "manual"
    samples: list[Sample] = []
    for moment in sample_moments(cycle, now):
        known = [value for value in values if value.at <= moment]
        if (manual_only or not items) and not known:  # nothing to reconstruct from: a gap
            samples.append((moment, None))
            continue
        progress = kr_progress(kr, [as_of(item, moment) for item in items], known[-1] if known else None).progress
        samples.append((moment, progress))
    return tuple(samples)


def forecast_history(recorded: Sequence[ProgressPoint], reconstructed: Sequence[Sample],
                     min_days: float) -> tuple[tuple[ProgressPoint, ...], bool]:
    """The history a forecast should fit, and whether it leans on the reconstruction.

    The recorded history alone when it spans ``min_days``; otherwise the reconstructed figures from
    before the first recorded point, then the recorded ones.
    """
    points = tuple(recorded)
    if points and (max(p.at for p in points) - min(p.at for p in points)).total_seconds() >= min_days * 86400:
        return points, False
    first = min((p.at for p in points), default=None)
    earlier = tuple(ProgressPoint(at, value) for at, value in reconstructed
                    if value is not None and (first is None or at < first))
    if not earlier:
        return points, False
    return (*earlier, *points), True
