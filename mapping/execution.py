"""Planned vs executed work per ISO week.

planned   = items due in the week or tagged for it (``planned_week``), cancelled items excluded;
executed  = planned items done by the week's end (completion time before next Monday 00:00 UTC; a
            done item with no known completion time counts as executed);
unplanned = items completed during the week that were not planned for it;
rate      = executed / planned, None when nothing was planned (so an empty week is never "0 %").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mapping.model import StatusCategory, WorkItem
from mapping.results import WeekExecution
from mapping.weeks import week_bounds, week_end_utc, week_start_utc

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
    monday, sunday = week_bounds(week)
    start, end = week_start_utc(week), week_end_utc(week)
    planned: list[str] = []
    executed: list[str] = []
    unplanned: list[str] = []
    for item in items:
        status = item.status
        if status is _CANCELLED:
            continue
        due = item.due
        if item.planned_week == week or (due is not None and monday <= due <= sunday):
            planned.append(item.key)
            if status is _DONE and (item.completed is None or item.completed < end):
                executed.append(item.key)
        elif (
            status is _DONE
            and item.completed is not None
            and start <= item.completed < end
        ):
            unplanned.append(item.key)
    rate = len(executed) / len(planned) if planned else None
    return WeekExecution(
        week=week,
        planned=len(planned),
        executed=len(executed),
        rate=rate,
        unplanned=len(unplanned),
        planned_keys=tuple(sorted(planned)),
        executed_keys=tuple(sorted(executed)),
        unplanned_keys=tuple(sorted(unplanned)),
    )
