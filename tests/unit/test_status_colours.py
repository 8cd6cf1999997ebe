"""One colour per pace status on the trackers: Planner slots chosen by their fixed colour (issue 20)."""

from __future__ import annotations

import pytest

from okr_sync.mapping.status_colours import LABEL_COLOURS, PLANNER_FAMILIES, PLANNER_SLOT_COLOURS, planner_slot

ALL_SLOTS = [f"category{n}" for n in range(1, 26)]


def test_every_status_has_one_colour_on_each_surface() -> None:
    statuses = {"not_started", "on_track", "at_risk", "off_track", "done"}
    assert set(LABEL_COLOURS) == statuses
    assert statuses <= set(PLANNER_FAMILIES)
    first = {status: PLANNER_SLOT_COLOURS[PLANNER_FAMILIES[status][0]] for status in statuses}
    assert first == {"on_track": "green", "at_risk": "yellow", "off_track": "red", "done": "blue",
                     "not_started": "gray"}
    slots = [slot for family in PLANNER_FAMILIES.values() for slot in family]
    assert len(slots) == len(set(slots)), "a slot belongs to one status only"


def test_an_empty_plan_gets_the_preferred_slot_without_a_remark() -> None:
    assert planner_slot("on_track", ALL_SLOTS) == ("category4", None)
    assert planner_slot("off_track", ALL_SLOTS) == ("category2", None)


def test_a_slot_taken_by_peoples_label_gives_another_of_the_same_family_and_says_so() -> None:
    free = [slot for slot in ALL_SLOTS if slot != "category4"]
    slot, reason = planner_slot("on_track", free)
    assert PLANNER_SLOT_COLOURS[slot] in {"light green", "dark green", "lime"}
    assert reason is not None and "category4 (green) is taken by your own label" in reason


def test_a_whole_family_taken_falls_back_to_an_unreserved_slot_and_says_so() -> None:
    free = [slot for slot in ALL_SLOTS if slot not in PLANNER_FAMILIES["off_track"]]
    slot, reason = planner_slot("off_track", free)
    reserved = {s for family in PLANNER_FAMILIES.values() for s in family}
    assert slot not in reserved
    assert reason is not None and "every red slot is taken" in reason


def test_no_free_slot_is_an_error() -> None:
    with pytest.raises(LookupError):
        planner_slot("done", [])
