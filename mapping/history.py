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


#: Days of recorded history from which it alone carries the forecast (the reconstruction's resolution).
RECORDED_WEEK = 7.0


def forecast_history(recorded: Sequence[ProgressPoint], reconstructed: Sequence[Sample],
                     min_days: float) -> tuple[tuple[ProgressPoint, ...], bool]:
    """The history a forecast should fit, and whether it leans on the reconstruction.

    The recorded history alone when it spans ``min_days`` and at least :data:`RECORDED_WEEK` (the
    reconstruction is weekly: a day or two of recorded figures, often flat because nothing changed
    overnight, says less about the trend than the weeks of item dates); otherwise the reconstructed
    figures alone
    (they end with ``now``, from the items as they are). Recorded points are not mixed in: a figure
    recorded minutes ago by a cycle that saw only part of the items (a tracker answered badly) would
    bend the line, and the same items must give the same forecast however the cycles went.
    """
    points = tuple(recorded)
    span = (max(p.at for p in points) - min(p.at for p in points)).total_seconds() / 86400 if points else 0.0
    if points and span >= max(min_days, RECORDED_WEEK):
        return points, False
    rebuilt = tuple(ProgressPoint(at, value) for at, value in reconstructed if value is not None)
    if len(rebuilt) < 2:
        return points, False
    return rebuilt, True
