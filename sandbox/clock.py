"""The sandbox's settable clock, shared by every emulator.

Tests move through weeks by setting it (``POST /_sandbox/clock``); by default it follows real time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """A clock that follows real time with an offset, or stands still when frozen.

    ``tick()`` returns a time strictly later than any time it returned before, so every write gets
    a distinct, increasing ``updated`` stamp even within one millisecond.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._last: datetime | None = None

    def now(self) -> datetime:
        """The sandbox's current time (aware, UTC)."""
        with self._lock:
            return self._now_locked()

    def tick(self) -> datetime:
        """A strictly increasing time (ms resolution) for stamping a write."""
        with self._lock:
            now = self._now_locked().replace(microsecond=(self._now_locked().microsecond // 1000) * 1000)
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return now

    def set(self, when: datetime, *, frozen: bool = False) -> None:
        """Jump to ``when``; with ``frozen`` the clock stops there until moved again."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            if frozen:
                self._frozen = when
            else:
                self._frozen = None
                self._offset = when - datetime.now(UTC)
            self._last = None

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def _now_locked(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset
