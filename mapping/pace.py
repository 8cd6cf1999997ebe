"""Score band, expected progress, status from pace and the least-squares forecast.

A cycle runs from its start date 00:00 UTC to the day after its (inclusive) end date 00:00 UTC.
Expected progress is the elapsed share of that span, or, with per-KR milestones ``(day, expected)``,
the piecewise-linear path from 0 at the start through each milestone (reached at the end of its day)
to 1 at the cycle end (unless the last milestone lies on the end day). Milestones outside the cycle
are ignored; of two on the same day the first (lower) one counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from okr_sync.mapping.model import Cycle, KrStatusValue, ProgressPoint, ScoreBand, Thresholds

_DAY = 86400.0


def cycle_start_utc(cycle: Cycle) -> datetime:
    """First instant of the cycle."""
    return datetime.combine(cycle.start, time.min, tzinfo=UTC)


def cycle_end_utc(cycle: Cycle) -> datetime:
    """First instant after the cycle (its end date is inclusive)."""
    return datetime.combine(cycle.end + timedelta(days=1), time.min, tzinfo=UTC)


def score_band(progress: float, thresholds: Thresholds = Thresholds()) -> ScoreBand:  # noqa: B008
    """Red below 0.4, yellow below 0.7, green from 0.7 (defaults)."""
    if progress < thresholds.red_below:
        return ScoreBand.RED
    if progress < thresholds.green_from:
        return ScoreBand.YELLOW
    return ScoreBand.GREEN


def elapsed_share(cycle: Cycle, now: datetime) -> float:
    """Share of the cycle elapsed at ``now``, within 0..1."""
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    share = (now - start) / (end - start)
    return min(max(share, 0.0), 1.0)


def expected_progress(
    cycle: Cycle, now: datetime, milestones: Sequence[tuple[date, float]] = ()
) -> float:
    """Progress a KR should have at ``now``: linear over the cycle, or along its milestones."""
    if not milestones:
        return elapsed_share(cycle, now)
    start, end = cycle_start_utc(cycle), cycle_end_utc(cycle)
    path: list[tuple[datetime, float]] = [(start, 0.0)]
    for day, value in sorted(milestones):
        if not cycle.start <= day <= cycle.end:
            continue  # a milestone outside the cycle says nothing about its pace
        moment = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
        if moment > path[-1][0]:
            path.append((moment, value))
    if path[-1][0] < end:
        path.append((end, 1.0))
    if now <= path[0][0]:
        return path[0][1]
    for (t0, v0), (t1, v1) in pairwise(path):
        if now <= t1:
            return v0 + (v1 - v0) * ((now - t0) / (t1 - t0))
    return path[-1][1]


def days_into_cycle(cycle: Cycle, now: datetime) -> float:
    """Days elapsed since the cycle started (negative before it)."""
    return (now - cycle_start_utc(cycle)).total_seconds() / _DAY


def status_from_pace(
    progress: float,
    expected: float,
    *,
    has_work: bool,
    days_in: float,
    thresholds: Thresholds = Thresholds(),  # noqa: B008
) -> KrStatusValue:
    """Done at progress ≥ 1; not started with no work past the grace days; else by gap to expected."""
    if progress >= 1.0:
        return KrStatusValue.DONE
    if not has_work and days_in > thresholds.not_started_days:
        return KrStatusValue.NOT_STARTED
    gap = expected - progress
    if gap <= thresholds.on_track_gap + 1e-12:
        return KrStatusValue.ON_TRACK
    if gap <= thresholds.at_risk_gap + 1e-12:
        return KrStatusValue.AT_RISK
    return KrStatusValue.OFF_TRACK


def forecast(points: Iterable[ProgressPoint], at: datetime, *, min_days: float = 0.0) -> float | None:
    """Least-squares line through the points, evaluated at ``at``; None when there is no trend.

    No trend means fewer than two distinct times, or points spanning less than ``min_days`` (a line
    through minutes of history says nothing about a quarter; ``kr_status`` uses
    ``Thresholds.forecast_min_days``, default one day).

    Points at the same instant are averaged first. The result is clamped at 0 below (a KR cannot lose
    more than everything) but not above, so a KR ahead of pace may forecast beyond 1.
    """
    by_time: dict[datetime, list[float]] = {}
    for point in points:
        by_time.setdefault(point.at, []).append(point.progress)
    if len(by_time) < 2 or (max(by_time) - min(by_time)).total_seconds() / _DAY < min_days:
        return None
    origin = min(by_time)
    xs = [(t - origin).total_seconds() / _DAY for t in by_time]
    ys = [sum(values) / len(values) for values in by_time.values()]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    target = (at - origin).total_seconds() / _DAY
    return max(0.0, mean_y + slope * (target - mean_x))
