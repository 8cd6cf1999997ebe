"""The engine's one error ladder: what a failing step against one tracker does to the cycle.

Pulling, reading home items and writing back each run inside :func:`tracker_step`. The ladder is typed
(the :mod:`config.errors` classes, no disposition strings): a :class:`DeferredError` (the tracker asked
for a longer pause than a cycle waits) defers the tracker until then; any other :class:`SyncError` is
the tracker's error for this cycle; anything else is a crash reported as an error, its text redacted.
One failing tracker never stops the others; requests are counted whatever happens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from okr_sync.config.errors import DeferredError, SyncError
from okr_sync.connectors.base import Connector
from okr_sync.connectors.redact import redact
from okr_sync.engine.report import TrackerOutcome

log = logging.getLogger("okr_sync.engine")


class Deferrals:
    """Trackers that asked okr-sync to stay away until a time (``Retry-After`` above the retry cap).

    Lives as long as the engine (the daemon's), so no scheduled or webhook-triggered cycle contacts such
    a tracker before the server allows.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.until: dict[str, datetime] = {}

    def defer(self, tracker: str, error: DeferredError) -> DeferredError:
        """Remember the deferral; the error again, saying when the tracker will be tried next."""
        until = self.clock() + timedelta(seconds=error.retry_after or 0.0)
        self.until[tracker] = max(until, self.until.get(tracker, until))
        return DeferredError(f"{error.message}; next try after {_when(self.until[tracker])}",
                             tracker=error.tracker or tracker, subject=error.subject, retry_after=error.retry_after)

    def holding(self, tracker: str, now: datetime) -> DeferredError | None:
        """The error to report instead of contacting ``tracker`` now, or None when it may be contacted."""
        until = self.until.get(tracker)
        if until is None or now >= until:
            self.until.pop(tracker, None)
            return None
        return DeferredError(f"not contacted this cycle: it asked okr-sync to wait (Retry-After) until "
                             f"{_when(until)}; run again after that", tracker=tracker,
                             retry_after=(until - now).total_seconds())


@contextmanager
def tracker_step(outcome: TrackerOutcome, connector: Connector, what: str, *, secrets: Iterable[str],
                 deferrals: Deferrals) -> Iterator[None]:
    """Run one step (``what``: "pull", "reading home items", "write-back") against ``outcome.name``."""
    before = connector.requests_made
    try:
        yield
    except DeferredError as exc:
        outcome.error = deferrals.defer(outcome.name, exc)
        log.warning("%s deferred", what, extra={"tracker": outcome.name, "disposition": exc.disposition,
                                                "error": redact(str(outcome.error), secrets)})
    except SyncError as exc:
        outcome.error = exc
        log.warning("%s failed", what, extra={"tracker": outcome.name, "disposition": exc.disposition,
                                              "error": redact(str(exc), secrets)})
    except Exception as exc:
        outcome.error = SyncError(redact(f"unexpected {type(exc).__name__}: {exc}", secrets), tracker=outcome.name)
        log.exception("%s crashed", what, extra={"tracker": outcome.name})
    finally:
        outcome.calls += connector.requests_made - before


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}".strip()
