"""When the daemon posts the scheduled check-in (``schedule.checkin`` in ``schedule.timezone``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from okr_sync.engine.checkin import due_checkin_week, next_checkin_time, parse_schedule

LISBON, BERLIN, NEW_YORK = ZoneInfo("Europe/Lisbon"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(("after", "tz", "expected"), [
    # Wednesday of W48 (the demo's today) → next Monday 09:00 in Lisbon (WET = UTC)
    (datetime(2026, 11, 25, 10, 0, tzinfo=UTC), "Europe/Lisbon", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    # exactly at the time → the week after (strictly after)
    (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "Europe/Lisbon", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
    # a second before → today
    (datetime(2026, 11, 30, 8, 59, 59, tzinfo=UTC), "Europe/Lisbon", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    # W53: Monday 2026-12-28 is in ISO week 2026-W53, and the one after is 2027-01-04 (2027-W01)
    (datetime(2026, 12, 24, 12, 0, tzinfo=UTC), "UTC", datetime(2026, 12, 28, 9, 0, tzinfo=UTC)),
    (datetime(2026, 12, 28, 9, 30, tzinfo=UTC), "UTC", datetime(2027, 1, 4, 9, 0, tzinfo=UTC)),
    # Berlin: 09:00 CET is 08:00 UTC in winter, 09:00 CEST is 07:00 UTC after the spring change
    (datetime(2027, 3, 24, 0, 0, tzinfo=UTC), "Europe/Berlin", datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),
    (datetime(2026, 10, 21, 0, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    # the local date, not the UTC date, decides the day: Monday 01:00 in Tokyo is Sunday in UTC
    (datetime(2026, 11, 29, 16, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
], ids=["wed-to-mon", "at-time", "just-before", "into-w53", "w53-to-2027-w01", "berlin-cest", "berlin-cet",
        "tokyo-local-day"])
def test_next_monday_nine(after: datetime, tz: str, expected: datetime) -> None:
    found = next_checkin_time("mon 09:00", tz, after)
    assert found == expected
    assert found.utcoffset() == found.astimezone(ZoneInfo(tz)).utcoffset()  # given in the schedule's zone
    assert (found.hour, found.minute, found.weekday()) == (9, 0, 0)


def test_a_wall_time_skipped_by_dst_happens_when_the_clock_jumps() -> None:
    # Berlin springs forward on Sunday 2027-03-28 at 02:00 → 03:00: "sun 02:30" does not exist that day
    found = next_checkin_time("sun 02:30", BERLIN, datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    assert found.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert (found.hour, found.minute) == (3, 30)


def test_a_wall_time_that_happens_twice_counts_once_at_its_first_occurrence() -> None:
    # New York falls back on Sunday 2026-11-01 at 02:00 EDT → 01:00 EST: 01:30 happens twice
    first = next_checkin_time("sun 01:30", NEW_YORK, datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    assert first.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    following = next_checkin_time("sun 01:30", NEW_YORK, first)
    assert following.astimezone(UTC) == datetime(2026, 11, 8, 6, 30, tzinfo=UTC)  # not the repeat an hour later


def test_successive_times_are_a_week_apart_in_local_time_across_a_year() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    seen = []
    for _ in range(60):
        moment = next_checkin_time("monday 09:00", LISBON, moment)
        seen.append(moment)
    assert all(b.date() - a.date() == timedelta(days=7) for a, b in pairwise(seen))
    assert {(m.hour, m.minute, m.weekday()) for m in seen} == {(9, 0, 0)}
    assert "2026-W53" in {f"{m.isocalendar()[0]}-W{m.isocalendar()[1]:02d}" for m in seen}


def test_due_week_monday_reviews_last_week_including_week_53() -> None:
    assert due_checkin_week(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), "UTC") == "2026-W53"
    assert due_checkin_week(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), LISBON) == "2026-W48"
    assert due_checkin_week(datetime(2026, 11, 27, 16, 0, tzinfo=UTC), LISBON) == "2026-W48"  # a Friday


@pytest.mark.parametrize(("spec", "message"), [
    ("monday", "is not '<weekday> HH:MM'"), ("mun 09:00", "is not '<weekday> HH:MM'"),
    ("mon 24:00", "no valid time of day"), ("mon 9:60", "no valid time of day"),
])
def test_bad_schedules_say_how_to_write_them(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(spec)


def test_unknown_zone_and_naive_time_are_explained() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Atlantis'"):
        next_checkin_time("mon 09:00", "Europe/Atlantis", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="has no time zone"):
        next_checkin_time("mon 09:00", "UTC", datetime(2026, 1, 1))
