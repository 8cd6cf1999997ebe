"""ISO 8601 weeks as strings (``2026-W53``) and their bounds, including week 53 and year boundaries.

The functions are pure and memoised (recomputing thousands of KRs asks for the same few weeks).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@lru_cache(maxsize=4096)
def iso_week(d: date) -> str:
    """ISO week containing ``d``: ``iso_week(date(2027, 1, 1)) == "2026-W53"``."""
    year, week, _ = d.isocalendar()
    return f"{year:04d}-W{week:02d}"


@lru_cache(maxsize=4096)
def parse_week(week: str) -> tuple[int, int]:
    """Split ``YYYY-Www`` into (year, week), checking that the week exists in that ISO year."""
    match = _WEEK.match(week)
    if match is None:
        raise ValueError(f"week {week!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W48")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar()[1] if 1 <= year <= 9999 else 52
        raise ValueError(
            f"week {week!r} does not exist: ISO year {year} has weeks 01..{weeks:02d}"
        ) from None
    return year, number


@lru_cache(maxsize=4096)
def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday (inclusive) of an ISO week."""
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=6)


@lru_cache(maxsize=4096)
def week_end_utc(week: str) -> datetime:
    """First instant after the week (next Monday 00:00 UTC): "done by the week's end" means before it."""
    return datetime.combine(week_bounds(week)[1] + timedelta(days=1), time.min, tzinfo=UTC)


@lru_cache(maxsize=4096)
def week_start_utc(week: str) -> datetime:
    """Monday 00:00 UTC of the week."""
    return datetime.combine(week_bounds(week)[0], time.min, tzinfo=UTC)


@lru_cache(maxsize=4096)
def next_week(week: str) -> str:
    """The ISO week after ``week`` (``2026-W53`` → ``2027-W01``)."""
    return iso_week(week_bounds(week)[0] + timedelta(days=7))


@lru_cache(maxsize=4096)
def previous_week(week: str) -> str:
    """The ISO week before ``week`` (``2027-W01`` → ``2026-W53``)."""
    return iso_week(week_bounds(week)[0] - timedelta(days=7))
