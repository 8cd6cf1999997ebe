"""The time okr-sync computes at: now, or a fixed moment for demos, tests and reproducible reports."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from okr_sync.config.errors import ConfigurationError

NOW_VARIABLE = "OKRSYNC_NOW"


def system_clock() -> Callable[[], datetime]:
    """Real time, unless ``$OKRSYNC_NOW`` names a moment (ISO 8601) to compute "as of"."""
    fixed = os.environ.get(NOW_VARIABLE)
    if not fixed:
        return lambda: datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(fixed)
    except ValueError:
        raise ConfigurationError(f"{NOW_VARIABLE}={fixed!r} is not an ISO 8601 time; write it like "
                                 "2026-11-25T10:00:00+00:00") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return lambda: moment
