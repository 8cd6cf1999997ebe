"""Building demo engines with fault-friendly connectors, and judging tracker end states.

- :func:`tuned_settings` — the demo configuration with a short per-request ``timeout`` (so a sandbox
  ``hang`` fault trips it quickly) and a bounded retry budget;
- :class:`SleepLog` — the injected ``sleep`` of every connector: records each retry wait, never waits;
- :func:`fault_engine` — an engine whose connectors use both;
- :func:`end_state` / :func:`duplicates` — the sandbox's normalised tracker state and how many okr-sync
  markers occur more than once (the crash suite's normalisation, reused so both suites judge alike).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from okr_sync.config.models import Settings
from okr_sync.connectors.registry import connector_class
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from tests.sync.crash_harness import marker_counts, normalised_state

TRACKERS = {"jira", "gitlab", "planner", "azure_devops"}
WEEK = "2026-W47"  # the week before the demo's today: every KR gets a check-in comment / note / block


class SleepLog:
    """An injectable ``sleep`` that records the waits asked for and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def tuned_settings(settings: Settings, *, timeout: float = 1.0, retry_budget: float = 20.0) -> Settings:
    """``settings`` with every tracker's ``timeout`` and ``max_retry_time`` set for fault tests."""
    trackers = {name: tracker.model_copy(update={"timeout": timeout,
                                                 "max_retry_time": timedelta(seconds=retry_budget)})
                for name, tracker in settings.trackers.items()}
    return settings.model_copy(update={"trackers": trackers})


def fault_connectors(settings: Settings, sleep: SleepLog) -> dict[str, Any]:
    """One connector per tracker, each sleeping through ``sleep``."""
    return {name: connector_class(t.kind)(name, t, sleep=sleep) for name, t in settings.trackers.items()}


def fault_engine(settings: Settings, store: Any, sleep: SleepLog,
                 clock: Callable[[], datetime] = lambda: AS_OF) -> Engine:
    """A demo engine over ``store`` whose connectors never really wait between retries."""
    return Engine(settings, store, fault_connectors(settings, sleep), clock=clock, secrets=secrets_of(settings))


def end_state(state: dict[str, Any]) -> dict[str, Any]:
    """The tracker state without what legitimately differs between two runs."""
    return normalised_state(state, TRACKERS)


def duplicates(state: dict[str, Any]) -> dict[str, int]:
    """okr-sync markers that occur more than once anywhere in the trackers (should be empty)."""
    return {marker: n for marker, n in marker_counts(state).items() if n > 1}
