"""No e-mail address or other personal identity appears in logs at INFO or above (issue 14, acceptance 4).

Every logger (okr_sync.* and the libraries': jira, gitlab, msgraph, urllib3, httpx, azure …; SQLAlchemy's
through the root only) is captured at DEBUG during a demo sync that also posts check-ins with mentions,
and during a daemon's first cycle. Only DEBUG records may carry the people directory's e-mails, Jira
accountIds and Planner user ids.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okr_sync.config.load import load_config
from okr_sync.daemon.service import Daemon
from okr_sync.engine.runtime import open_connectors, secrets_of
from okr_sync.sandbox.fixtures import demo_story
from okr_sync.sandbox.fixtures.demo_story import AS_OF
from okr_sync.store.state import StateStore
from tests.sync.support import demo_settings, engine_for, sqlite_url
from tests.sync.test_daemon import daemon_config, wait_ready

LIBRARIES = ("okr_sync", "jira", "gitlab", "urllib3", "requests", "httpx", "httpcore", "azure", "msgraph",
             "kiota_http", "kiota_abstractions", "werkzeug", "tenacity")
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}


class Everything(logging.Handler):
    """Keeps every record of every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    # every logger at DEBUG except SQLAlchemy's: setting those explicitly is its SQL echo (statements and
    # parameters at INFO), a tracing switch nobody runs in production; through the root they stay quiet
    named = [logging.getLogger(n) for n in [*LIBRARIES, *logging.root.manager.loggerDict]
             if not n.startswith("sqlalchemy")]
    saved = [(lg, lg.level, lg.disabled) for lg in [root, *named]]
    root.addHandler(handler)
    for lg, _, _ in saved:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def _identities() -> set[str]:
    found: set[str] = set()
    for person in demo_story.PEOPLE:
        found |= {person.email.lower(), person.jira_account_id.lower(), person.planner_id.lower()}
    return found


def _text(record: logging.LogRecord) -> str:
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    parts = [record.getMessage(), repr(extras)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return " ".join(parts).lower()


def _leaks(records: list[logging.LogRecord]) -> list[str]:
    secrets = _identities()
    return [f"{r.name} {r.levelname}: {_text(r)[:300]}" for r in records
            if r.levelno > logging.DEBUG and any(s in _text(r) for s in secrets)]


def test_demo_sync_with_checkins_logs_no_identity_above_debug(make_sandbox: Any, tmp_path: Path,
                                                             captured: Everything) -> None:
    sb = make_sandbox("demo")
    settings = demo_settings(sb, sqlite_url(tmp_path))
    store = StateStore.open(settings.state.url)
    try:
        engine = engine_for(settings, store)
        report = engine.cycle(checkin_week="2026-W47")
        assert report.writes > 0
        for connector in engine.connectors.values():
            connector.close()
    finally:
        store.close()
    assert sum(r.levelno >= logging.INFO for r in captured.records) > 5, "the sync logged at INFO"
    assert _leaks(captured.records) == []


def test_daemon_cycle_logs_no_identity_above_debug(make_sandbox: Any, tmp_path: Path, captured: Everything) -> None:
    sb = make_sandbox("demo")
    config, env = daemon_config(tmp_path, sb)
    settings = load_config(config, environ=env).settings
    store = StateStore.open(settings.state.url)
    connectors = open_connectors(settings)
    daemon = Daemon(settings, store, connectors, secrets=secrets_of(settings), clock=lambda: AS_OF)
    try:
        daemon.start()
        wait_ready(daemon.address)
    finally:
        daemon.stop()
        for connector in connectors.values():
            connector.close()
        store.close()
    assert any(r.name.startswith("okr_sync") and r.levelno >= logging.INFO for r in captured.records)
    assert _leaks(captured.records) == []
