"""The daemon posts the weekly check-in on its schedule (``schedule.checkin``), once (issue 10)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jira import JIRA

from okr_sync.config.load import load_config
from okr_sync.daemon.service import Daemon
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.connectors.jira_own import marked
from tests.sync.test_daemon import daemon_config


def test_scheduled_checkin_is_posted_once(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox("demo")
    config, env = daemon_config(tmp_path, sb, interval="1h")
    loaded = load_config(config, environ=env).settings
    # AS_OF is Wednesday 10:00 UTC: the check-in due at Wednesday 09:00 reviews 2026-W47.
    settings = loaded.model_copy(update={"schedule": loaded.schedule.model_copy(
        update={"checkin": "wed 09:00", "timezone": "UTC"})})
    store = StateStore.open(settings.state.url)
    daemon = Daemon(settings, store, open_connectors(settings), secrets=secrets_of(settings), clock=lambda: AS_OF)
    daemon.start()
    try:
        deadline = time.monotonic() + 120
        while daemon.cycles_done < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert daemon.cycles_done >= 2
        time.sleep(1.0)  # a further loop turn must not post again
    finally:
        daemon.stop()
        store.close()
    jira = JIRA(sb.info["jira"]["url"], basic_auth=(sb.info["jira"]["email"], sb.info["jira"]["token"]),
                options={"rest_api_version": "2"})
    checkins = [body for marker, body in marked(jira, "PGE-2") if marker == "okr-sync:checkin:OBJ1-KR1:2026-W47"]
    assert len(checkins) == 1
