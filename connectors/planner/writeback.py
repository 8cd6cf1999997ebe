"""What okr-sync shows on a Planner KR home task, and the diff that decides which writes are needed.

Three targets, each written only when it differs from what the task shows now:

- ``percentComplete`` — the KR's progress in percent (an integer in Planner), optionally rounded to
  0/50/100 the way Planner's UI shows it; never 100 before the KR's progress reaches 1, since Planner
  marks a task at 100 completed;
- ``status category`` — the plan category named for the status (``write.status_categories``) applied,
  the other status categories removed, every other category left alone;
- ``status block`` — the plain-text status block (``mapping.render_status_block(…, "text")``) inside the
  task details' description: heading, bullet lines, and the marker line ``[okr-sync:status:<id>]``
  last. Text before and after it is kept as it is; a new block is appended after a blank line.
"""

from __future__ import annotations

from collections.abc import Mapping

from okr_sync.mapping import checkin_marker

PERCENT = "percentComplete"
CATEGORY = "status category"
BLOCK = "status block"
CHECKIN = "check-in"
_BULLETS = ("- ", "  * ")


def desired_percent(progress: float, rounding: str) -> int:
    """Progress (a fraction, may pass 1) as Planner's integer ``percentComplete``."""
    if progress >= 1:
        return 100
    if rounding == "planner":
        return 0 if progress <= 0 else 50
    return min(99, max(0, round(progress * 100)))


def category_patch(applied: Mapping[str, bool], names: Mapping[str, str | None], wanted: str,
                   status_names: list[str]) -> dict[str, bool] | None:
    """The ``appliedCategories`` change that shows status ``wanted`` (a category name), or None.

    ``names`` is the plan's ``categoryDescriptions`` (category key → name). Raises ``KeyError`` when
    the plan has no category with that name.
    """
    by_name = {name.casefold(): key for key, name in names.items() if name}
    key = by_name.get(wanted.casefold())
    if key is None:
        raise KeyError(wanted)
    others = {by_name[n.casefold()] for n in status_names if n.casefold() in by_name} - {key}
    patch = {} if applied.get(key) else {key: True}
    patch.update({other: False for other in sorted(others) if applied.get(other)})
    return patch or None


def normalised(description: str | None) -> str:
    """The description with Windows line ends made plain."""
    return (description or "").replace("\r\n", "\n")


def find_block(description: str, marker: str, *, prefix: bool = False) -> tuple[int, int] | None:
    """Line span ``[start, end)`` of the block ending in ``[marker]`` (or ``[marker…]``), or None."""
    lines = normalised(description).split("\n")
    for end, line in enumerate(lines):
        text = line.strip()
        if text == f"[{marker}]" or (prefix and text.startswith(f"[{marker}") and text.endswith("]")):
            start = end
            while start > 0 and lines[start - 1].startswith(_BULLETS):
                start -= 1
            if start > 0 and lines[start - 1].strip():
                start -= 1  # the heading line
            return start, end + 1
    return None


def current_block(description: str, marker: str, *, prefix: bool = False) -> str | None:
    """The text of the block with ``marker`` (without the trailing newline), or None."""
    span = find_block(description, marker, prefix=prefix)
    if span is None:
        return None
    return "\n".join(normalised(description).split("\n")[span[0]:span[1]])


def with_block(description: str, marker: str, block: str, *, prefix: bool = False) -> str:
    """``description`` with the block for ``marker`` replaced by ``block`` (or appended)."""
    text = normalised(description)
    new_lines = block.rstrip("\n").split("\n")
    span = find_block(text, marker, prefix=prefix)
    if span is None:
        body = text.rstrip()
        return (body + "\n\n" if body else "") + "\n".join(new_lines) + "\n"
    lines = text.split("\n")
    return "\n".join(lines[:span[0]] + new_lines + lines[span[1]:])


def checkin_prefix(kr_id: str) -> str:
    """Marker prefix shared by every week's check-in of ``kr_id``: the latest replaces the previous one."""
    return checkin_marker(kr_id, "2026-W01").rsplit(":", 1)[0] + ":"
