"""Planned vs executed work per ISO week.

planned   = items due in the week or tagged for it (``planned_week``), cancelled items excluded;
executed  = planned items done by the week's end (completion time before next Monday 00:00 UTC; a
            done item with no known completion time counts as executed);
unplanned = items completed during the week that were not planned for it;
rate      = executed / planned, None when nothing was planned (so an empty week is never "0 %").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from okr_sync.mapping.model import StatusCategory, WorkItem
from okr_sync.mapping.results import WeekExecution
from okr_sync.mapping.weeks import week_bounds, week_end_utc, week_start_utc

_DONE = StatusCategory.DONE
_CANCELLED = StatusCategory.CANCELLED


def is_planned_for(item: WorkItem, week: str, monday: date, sunday: date) -> bool:
    """True when the item is due in, or tagged for, the week (cancelled items never are)."""
    if item.status is _CANCELLED:
        return False
    if item.planned_week == week:
        return True
    return item.due is not None and monday <= item.due <= sunday


def planned_vs_executed(items: Iterable[WorkItem], week: str) -> WeekExecution:
    """Compare the week's plan with what was done by its end, and list unplanned completed work."""
    return weeks_execution(items, (week,))[0]


@dataclass(frozen=True, slots=True)
class _WeekGrid:
    """Lookup tables for a tuple of weeks: week → position, day → position, sorted time windows."""

    week_index: dict[str, int]
    day_index: dict[date | None, int]
    windows: tuple[tuple[datetime, datetime, int], ...]
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]


@lru_cache(maxsize=256)
def _grid(weeks: tuple[str, ...]) -> _WeekGrid:
    day_index: dict[date | None, int] = {}
    for n, week in enumerate(weeks):
        monday = week_bounds(week)[0]
        for offset in range(7):
            day_index[monday + timedelta(days=offset)] = n
    windows = tuple(sorted((week_start_utc(week), week_end_utc(week), n) for n, week in enumerate(weeks)))
    return _WeekGrid(
        week_index={week: n for n, week in enumerate(weeks)},
        day_index=day_index,
        windows=windows,
        starts=tuple(start for start, _, _ in windows),
        ends=tuple(week_end_utc(week) for week in weeks),
    )


def weeks_execution(items: Iterable[WorkItem], weeks: Sequence[str]) -> tuple[WeekExecution, ...]:
    """``planned_vs_executed`` for several distinct weeks in one pass over the items (order of ``weeks``)."""
    grid = _grid(tuple(weeks))
    week_index, day_index, windows, starts, ends = (
        grid.week_index, grid.day_index, grid.windows, grid.starts, grid.ends
    )
    planned: list[list[str]] = [[] for _ in weeks]
    executed: list[list[str]] = [[] for _ in weeks]
    unplanned: list[list[str]] = [[] for _ in weeks]
    for item in items:
        status = item.status
        if status is _CANCELLED:
            continue
        tagged = week_index.get(item.planned_week or "")
        due = day_index.get(item.due)
        done = status is _DONE
        if tagged is None and due is None and not done:
            continue
        completed = item.completed
        for target in (tagged, due if due != tagged else None):
            if target is not None:
                planned[target].append(item.key)
                if done and (completed is None or completed < ends[target]):
                    executed[target].append(item.key)
        if done and completed is not None:
            position = bisect_right(starts, completed) - 1
            if position >= 0 and completed < windows[position][1]:
                done_week = windows[position][2]
                if done_week != tagged and done_week != due:
                    unplanned[done_week].append(item.key)
    return tuple(
        WeekExecution(
            week=week,
            planned=len(planned[n]),
            executed=len(executed[n]),
            rate=len(executed[n]) / len(planned[n]) if planned[n] else None,
            unplanned=len(unplanned[n]),
            planned_keys=tuple(sorted(planned[n])),
            executed_keys=tuple(sorted(executed[n])),
            unplanned_keys=tuple(sorted(unplanned[n])),
        )
        for n, week in enumerate(weeks)
    )
