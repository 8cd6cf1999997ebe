"""Values people type in trackers for a KR, which one counts, and why the others do not.

Every tracker reads its candidates (a Jira field and who last changed it, GitLab notes, Planner checklist
items) and hands them here, so the three agree: a typed value counts only when one of the KR's owners
typed it and it reads as a number in the configured locale (:mod:`mapping.numbers`). The newest value
that counts is the manual value; every newer value that does not count is an :class:`IgnoredValue` —
shown on the KR's home item, in ``okr-sync status`` and in ``once --json`` — never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from okr_sync.mapping.model import ManualValue
from okr_sync.mapping.numbers import NumberError, NumberFormat, leading_number


@dataclass(frozen=True, slots=True)
class TypedValue:
    """One value as found in a tracker, before okr-sync decides whether it counts."""

    text: str
    """What the person typed after the key (``3,6``, ``1.234,5 — survey of November``)."""
    author: str
    """Who typed it, as the tracker identifies them (account id, user name, user id)."""
    name: str
    """How people know the author (display name; the identity when the tracker gives none)."""
    at: datetime
    """When it was typed (aware UTC)."""


@dataclass(frozen=True, slots=True)
class IgnoredValue:
    """A typed value okr-sync does not use, and why: one line people read where they look."""

    text: str
    name: str
    """Who typed it, as people know them (a caller may replace it with the people directory's name)."""
    at: datetime
    reason: str
    """Why it does not count; empty when the only reason is that its author is not an owner."""

    @property
    def why(self) -> str:
        """The reason as people read it."""
        return self.reason or f"{self.name} is not the KR owner"

    def sentence(self) -> str:
        """``value 3,6 typed by Ana Ruiz on 2026-11-30, not used: Ana Ruiz is not the KR owner``."""
        return f"value {self.text} typed by {self.name} on {self.at:%Y-%m-%d}, not used: {self.why}"


def choose_manual(
    candidates: Iterable[TypedValue],
    *,
    owners: Sequence[str],
    is_owner: Callable[[TypedValue, str], bool],
    fmt: NumberFormat,
) -> tuple[ManualValue | None, tuple[IgnoredValue, ...]]:
    """The newest value typed by an owner that reads as a number, and the newer values that do not count.

    ``owners`` are the KR owners' identities on this tracker (empty: the KR names no owner, so no one's
    value counts); ``is_owner(value, owner)`` says whether ``value`` was typed by ``owner``.
    """
    ignored: list[IgnoredValue] = []
    for value in sorted(candidates, key=lambda v: v.at, reverse=True):
        if not owners:
            ignored.append(IgnoredValue(value.text, value.name, value.at,
                                        "the KR has no owner in okr-sync.yaml; add owner (or owners)"))
            continue
        if not any(is_owner(value, owner) for owner in owners):
            ignored.append(IgnoredValue(value.text, value.name, value.at, ""))
            continue
        try:
            number = leading_number(value.text, fmt)
        except NumberError as exc:
            ignored.append(IgnoredValue(value.text, value.name, value.at, exc.reason))
            continue
        return ManualValue(number, value.name, value.at), tuple(ignored)
    return None, tuple(ignored)
