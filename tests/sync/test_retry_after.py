"""A ``Retry-After`` longer than the retry cap (30 s) ends the attempt and defers the tracker: no request
reaches it before the server allows, on Jira, GitLab and Planner alike (issue 23, acceptance 4).

The sandbox answers every request of one tracker with 429 ``Retry-After: 120``; the engine's clock is
injected and the connectors' ``sleep`` records instead of waiting, so nothing waits 120 real seconds.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from okr_sync.config.errors import DeferredError
from okr_sync.connectors.registry import connector_class
from okr_sync.connectors.retry import RetryPolicy
from okr_sync.engine.cycle import Engine
from okr_sync.engine.report import EXIT_TRACKER
from okr_sync.engine.runtime import secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.sync.support import demo_settings, sqlite_url

MOUNT = {"jira": "/jira/", "gitlab": "/gitlab/", "planner": "/graph/"}


def requests_to(control: Any, tracker: str) -> int:
    """Requests the sandbox received for one tracker (answered or faulted)."""
    counts = control.requests()
    routes = {**counts["by_route"], **{f"faulted {k}": v for k, v in counts["faulted"].items()}}
    return sum(n for route, n in routes.items() if MOUNT[tracker] in route)


@pytest.mark.parametrize("tracker", ["jira", "gitlab", "planner"])
def test_retry_after_above_the_cap_defers_the_tracker(tracker: str, make_sandbox: Any, control_of: Any,
                                                      tmp_path: Path) -> None:
    assert RetryPolicy().cap == 30.0
    sb = make_sandbox("demo", jira_deployment="server")  # token (Bearer) auth; Cloud takes basic auth only
    control = control_of(sb)
    settings = demo_settings(sb, sqlite_url(tmp_path))
    store = StateStore.open(settings.state.url)
    slept: list[float] = []
    connectors = {name: connector_class(t.kind)(name, t, sleep=slept.append) for name, t in settings.trackers.items()}
    now = [AS_OF]
    engine = Engine(settings, store, connectors, clock=lambda: now[0], secrets=secrets_of(settings))
    engine.cycle()  # a first, clean cycle: identity tokens, Jira's site facts and watermarks in place
    control.reset_requests()
    control.fault(f"* {MOUNT[tracker]}*", "429", retry_after=120)

    first = engine.cycle()
    error = first.trackers[tracker].error
    assert isinstance(error, DeferredError), first.problems
    assert requests_to(control, tracker) == 1, "one request, answered 429: no retry within the cycle"
    assert slept == [], "nothing waited: a 120 s Retry-After is not shortened to the 30 s cap"
    due = AS_OF + timedelta(seconds=120)
    assert f"next try after {due:%Y-%m-%d %H:%M:%S}" in str(error)
    assert first.exit_code == EXIT_TRACKER
    assert not any(isinstance(o.error, DeferredError) for name, o in first.trackers.items() if name != tracker)

    for later in (1, 60, 119):  # scheduled or webhook-triggered cycles before the server allows
        now[0] = AS_OF + timedelta(seconds=later)
        held = engine.cycle(only={tracker} if later == 60 else None)
        assert requests_to(control, tracker) == 1, f"a request {later} s after Retry-After: 120"
        assert isinstance(held.trackers[tracker].error, DeferredError)
        assert f"until {due:%Y-%m-%d %H:%M:%S}" in str(held.trackers[tracker].error)
        assert any(p.startswith(f"{tracker}: not contacted") and "run again after" in p for p in held.problems)

    control.clear_faults()
    now[0] = due
    after = engine.cycle()
    assert after.trackers[tracker].error is None, after.problems
    assert requests_to(control, tracker) > 1, "contacted again once the server allows"
    assert slept == []
    for connector in connectors.values():
        connector.close()
    store.close()
