"""Property: any WorkItem a connector can build comes back from the store equal, times in UTC."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okr_sync.mapping import StatusCategory, WorkItem
from okr_sync.store.state import StateStore

# PostgreSQL text cannot hold NUL; connectors never produce it (documented limitation).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
NUMBER = st.floats(allow_nan=False, width=64)
ZONES = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
MOMENT = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                      timezones=st.just(UTC) | ZONES)
_keys = itertools.count()


@st.composite
def work_items(draw: st.DrawFn) -> WorkItem:
    """Arbitrary work items of tracker "t" with a unique key."""
    return WorkItem(
        tracker="t",
        key=f"K-{next(_keys)}",
        title=draw(TEXT),
        status=draw(st.sampled_from(list(StatusCategory))),
        kr_ids=tuple(draw(st.lists(st.sampled_from(["KR1", "KR2", "OBJ-1/KR:ü"]) | TEXT, max_size=4))),
        blocked=draw(st.booleans()),
        assignee=draw(st.none() | TEXT),
        due=draw(st.none() | st.dates()),
        planned_week=draw(st.none() | TEXT),
        points=draw(st.none() | NUMBER),
        estimate=draw(st.none() | NUMBER),
        numbers=draw(st.dictionaries(TEXT, NUMBER, max_size=3)),
        updated=draw(st.none() | MOMENT),
        completed=draw(st.none() | MOMENT),
        url=draw(st.none() | TEXT),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(work_items(), min_size=1, max_size=5))
def test_any_item_round_trips(store: StateStore, batch: list[WorkItem]) -> None:
    affected = store.commit_pull("t", batch, None)
    assert affected == {kr for item in batch for kr in item.kr_ids}
    stored = {item.key: item for item in store.items(tracker="t")}
    for item in batch:
        back = stored[item.key]
        assert back == item
        assert type(back.kr_ids) is tuple
        for moment in (back.updated, back.completed):
            assert moment is None or moment.tzinfo is UTC
    assert store.commit_pull("t", batch, None) == set()  # same content: same fingerprint
