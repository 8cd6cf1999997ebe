"""Every log line a connector writes carries ``tracker=<name>`` (issue 23): captured from a sandbox sync
of Jira, GitLab and Planner with faults that make each connector log (retries, a failed write)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from okr_sync.connectors.registry import connector_class
from okr_sync.daemon.logs import JsonFormatter
from okr_sync.engine.cycle import Engine
from okr_sync.engine.runtime import secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.sync.support import demo_settings, sqlite_url


def test_every_connector_line_names_its_tracker(make_sandbox: Any, control_of: Any, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    sb = make_sandbox("demo", jira_deployment="server")
    control = control_of(sb)
    settings = demo_settings(sb, sqlite_url(tmp_path))
    store = StateStore.open(settings.state.url)
    connectors = {name: connector_class(t.kind)(name, t, sleep=lambda _s: None)
                  for name, t in settings.trackers.items()}
    control.fault("GET /jira/*", "503", times=1)
    control.fault("GET /gitlab/*", "503", times=1)
    control.fault("PATCH /graph/*", "500")  # every Planner write fails after its retries: a warning
    engine = Engine(settings, store, connectors, clock=lambda: AS_OF, secrets=secrets_of(settings))
    with caplog.at_level(logging.DEBUG, logger="okr_sync.connectors"):
        engine.cycle()
    lines = [r for r in caplog.records if r.name.startswith("okr_sync.connectors")]
    by_tracker: dict[str, list[str]] = {}
    for record in lines:
        tracker = getattr(record, "tracker", None)
        assert tracker in settings.trackers, f"no tracker= on {record.name}: {record.getMessage()}"
        by_tracker.setdefault(tracker, []).append(record.getMessage())
    assert set(by_tracker) >= {"jira", "gitlab", "planner"}, by_tracker
    assert any("retrying" in m for m in by_tracker["gitlab"]) and any("retrying" in m for m in by_tracker["jira"])
    assert any("write failed" in m for m in by_tracker["planner"])
    shown = json.loads(JsonFormatter().format(lines[0]))
    assert shown["tracker"] == vars(lines[0])["tracker"], "the JSON log shows it as a field"
    for connector in connectors.values():
        connector.close()
    store.close()
