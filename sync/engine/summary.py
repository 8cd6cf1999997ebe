"""Short, secret-free summaries of a configuration (for ``validate`` and logs)."""

from __future__ import annotations

from typing import Any

from okr_sync.config.models import Settings


def config_summary(settings: Settings) -> dict[str, Any]:
    """Counts and names: trackers (by kind), cycles, objectives, KRs. Never a secret."""
    return {
        "trackers": {name: tracker.kind for name, tracker in settings.trackers.items()},
        "cycles": len(settings.cycles),
        "objectives": len(settings.objectives),
        "key_results": sum(len(o.key_results) for o in settings.objectives),
    }
