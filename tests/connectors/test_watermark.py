"""The one watermark envelope (connectors/watermark.py) under every connector's own watermark."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from okr_sync.connectors import watermark
from okr_sync.connectors.gitlab.pull import ScopeMark, dump_watermark, load_watermark
from okr_sync.connectors.jira.pull import Watermark
from okr_sync.connectors.planner.items import read_watermark, write_watermark


def test_every_connector_writes_the_same_envelope() -> None:
    jira = Watermark(datetime(2026, 11, 24, 10, tzinfo=UTC), {"B-2": "x", "A-1": "y"}).encode()
    gitlab = dump_watermark({"project p": ScopeMark("2026-11-24T10:00:00Z", {"p#2": "s", "p#1": "t"})})
    planner = write_watermark({"P1": {"t2": 'W/"2"', "t1": 'W/"1"'}})
    for text in (jira, gitlab, planner):
        assert text is not None and text.startswith("{") and ", " not in text and ": " not in text
        assert (watermark.decode(text) or {}).get("v") == watermark.VERSION
    assert jira and jira.index('"A-1"') < jira.index('"B-2"'), "keys sorted: the same state, the same string"
    assert Watermark.decode(jira).seen == {"A-1": "y", "B-2": "x"}
    assert load_watermark(gitlab)["project p"].seen == {"p#1": "t", "p#2": "s"}
    assert read_watermark(planner) == {"P1": {"t1": 'W/"1"', "t2": 'W/"2"'}}


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]", '{"v": 2, "plans": {}}', '{"plans": {}}'])
def test_an_unreadable_or_foreign_watermark_means_read_everything(text: str | None) -> None:
    assert watermark.decode(text) is None
    assert read_watermark(text) == {} and load_watermark(text) == {} and Watermark.decode(text).since is None
