"""Pending home items: what a committed pull learned about homes, kept until a cycle has acted on it.

A pull commits its items and its watermark together, and with them — same transaction — marks the
pulled items that are KR or objective homes as *pending* (``store.commit_pull(..., homes=...)``). The
next pull starts after that watermark and will never return those homes again, so the mark is the only
record that a person changed one (overwrote okr-sync's field, removed its label, typed a manual value,
left an acknowledgement). A cycle reads every pending home of its trackers, and settles a mark only once
the home was read and reconciled: written, found equal, or found gone. A crash anywhere in between —
after one tracker's pull, between two trackers' pulls, while reading or writing — leaves the mark, and
the next cycle (``once``, a scheduled or a webhook-triggered daemon cycle) reads the home again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from okr_sync.mapping import HomeItem


def home_keys(homes: Iterable[HomeItem], tracker: str) -> set[str]:
    """Keys of the configured home items on ``tracker`` (what ``commit_pull`` marks when pulled)."""
    return {home.key for home in homes if home.tracker == tracker}


class PendingHomes:
    """The pending marks of a cycle's trackers, read once after the pulls were committed."""

    def __init__(self, store: object, trackers: Collection[str]) -> None:
        read = getattr(store, "pending_homes", None)  # duck-typed test stores may not keep marks
        self.marks: dict[tuple[str, str], datetime] = dict(read(trackers)) if callable(read) and trackers else {}

    def __contains__(self, home: object) -> bool:
        return isinstance(home, HomeItem) and (home.tracker, home.key) in self.marks

    def settle(self, store: object, reconciled: Collection[HomeItem], configured: Collection[HomeItem]) -> int:
        """Forget the marks of ``reconciled`` homes, and of homes no longer configured (nothing to do
        for them); marks of homes not read or not written stay for the next cycle. Returns how many."""
        keep = {(home.tracker, home.key) for home in configured} - {(h.tracker, h.key) for h in reconciled}
        done = {ident: at for ident, at in self.marks.items() if ident not in keep}
        if not done:
            return 0
        return int(store.settle_homes(done))  # type: ignore[attr-defined]
