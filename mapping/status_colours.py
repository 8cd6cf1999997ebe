"""The colour of each pace status on every tracker surface: one definition that connectors and setup share.

On track is green, at risk yellow, off track red, done blue, not started gray. GitLab labels take the hex
colour; Planner has no colour of its own for a category: each of its 25 category slots has a FIXED colour
(category1 pink … category25 dark gray), so a status category must sit in a slot of its colour family.
The word (the category or label name) always goes with the colour: colour never carries the status alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

LABEL_COLOURS: dict[str, str] = {"not_started": "#868686", "on_track": "#108548", "at_risk": "#c17d10",
                                 "off_track": "#dd2b0e", "done": "#1f75cb"}
"""Status value → hex colour of okr-sync's GitLab status labels."""

PLANNER_SLOT_COLOURS: dict[str, str] = {
    "category1": "pink", "category2": "red", "category3": "yellow", "category4": "green", "category5": "blue",
    "category6": "purple", "category7": "bronze", "category8": "lime", "category9": "aqua", "category10": "gray",
    "category11": "silver", "category12": "brown", "category13": "cranberry", "category14": "orange",
    "category15": "peach", "category16": "marigold", "category17": "light green", "category18": "dark green",
    "category19": "teal", "category20": "light blue", "category21": "dark blue", "category22": "lavender",
    "category23": "plum", "category24": "light gray", "category25": "dark gray"}
"""Planner's fixed colour of each category slot."""

PLANNER_FAMILIES: dict[str, tuple[str, ...]] = {
    "on_track": ("category4", "category17", "category18", "category8"),
    "at_risk": ("category3", "category16", "category15"),
    "off_track": ("category2", "category13"),
    "done": ("category5", "category21", "category20"),
    "not_started": ("category10", "category24", "category25", "category11"),
    "blocked": ("category14",),
}
"""Status (or ``blocked``) → Planner slots of its colour family, the preferred one first."""


def planner_slot(status: str, free: Iterable[str]) -> tuple[str, str | None]:
    """The slot for a status category among the ``free`` (unnamed) slots, and why it is not the first choice.

    Returns ``(slot, None)`` for the preferred slot; ``(slot, reason)`` when people's own labels took it.
    Raises ``LookupError`` when no slot is free.
    """
    free_slots = list(free)
    family = PLANNER_FAMILIES.get(status, ())
    for rank, slot in enumerate(family):
        if slot in free_slots:
            if rank == 0:
                return slot, None
            return slot, (f"{family[0]} ({PLANNER_SLOT_COLOURS[family[0]]}) is taken by your own label; "
                          f"{PLANNER_SLOT_COLOURS[slot]} instead")
    if not free_slots:
        raise LookupError(status)
    reserved = {slot for slots in PLANNER_FAMILIES.values() for slot in slots}
    slot = next((s for s in free_slots if s not in reserved), free_slots[0])
    if not family:
        return slot, None
    colour = PLANNER_SLOT_COLOURS[family[0]]
    return slot, (f"every {colour} slot is taken by your own labels; {PLANNER_SLOT_COLOURS.get(slot, slot)} instead "
                  "(the name still says the status)")


def planner_colours(names: Mapping[str, str | None]) -> dict[str, str]:
    """Category name → colour word for a plan's ``categoryDescriptions`` (named slots only)."""
    return {name: PLANNER_SLOT_COLOURS.get(slot, slot) for slot, name in names.items() if name}
