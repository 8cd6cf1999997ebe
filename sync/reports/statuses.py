"""The one status language of the report and the terminal: the pace status, as word, icon and colour.

The pace status (not started, on track, at risk, off track, done) drives every colour and word people
see; the score band is only the end-of-cycle grade. Colour never carries the status alone: each status
has its word and its icon. The palette is colour-blind safe — on track blue, at risk orange, off track
burgundy (much darker than the orange), done dark gray, not started slate — chosen so that a deuteranopia
simulation keeps the three working states apart (``tests/report/test_palette.py``: ΔE ≥ 30), and each colour
reaches 4.5:1 against white so it can carry white text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusLook:
    """How one pace status shows: its word, icon, colour (hex) and terminal style, and its urgency."""

    word: str
    icon: str
    colour: str
    terminal: str
    urgency: int
    """0 is the most urgent; tables sort by it."""


STATUSES: dict[str, StatusLook] = {
    "off_track": StatusLook("off track", "✖", "#6e0a1e", "bold red", 0),
    "at_risk": StatusLook("at risk", "▲", "#b35900", "dark_orange", 1),
    "not_started": StatusLook("not started", "○", "#5f6b7a", "dim", 2),
    "on_track": StatusLook("on track", "●", "#1d5fa8", "blue", 3),
    "done": StatusLook("done", "✔", "#3b3b3b", "bold", 4),
}
STATUS_WORDS = {value: look.word for value, look in STATUSES.items()}
STATUS_ORDER = tuple(sorted(STATUSES, key=lambda value: STATUSES[value].urgency))
"""Status values, most urgent first."""


def look(status: str) -> StatusLook:
    """The look of a status value (``"at_risk"``)."""
    return STATUSES[status]


def pct(value: float | None) -> str:
    """0.423 → '42 %'; None → '–'."""
    return "–" if value is None else f"{value * 100:.0f} %"
