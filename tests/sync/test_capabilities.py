"""The engine, daemon and CLI ask a connector for a capability, never for its kind (issue 23).

A connector with the core contract only — no webhooks, no mentions, no KR discovery, no user listing —
runs where those features would be used and gets a plain sentence instead of a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from werkzeug.test import Client

from okr_sync.config.load import load_text
from okr_sync.connectors.base import Connector, DesiredHome, HomeState, PullResult, PullSpec, Write, WriteResult
from okr_sync.connectors.capabilities import CAPABILITIES
from okr_sync.daemon.service import Daemon
from okr_sync.engine.discovery import discover
from okr_sync.engine.domain import build_domain
from okr_sync.mapping import HomeItem
from okr_sync.store.state import StateStore

BASE = (Path(__file__).resolve().parents[1] / "config" / "base.yaml").read_text()


class CoreOnly:
    """A connector with nothing but the core contract (a real class, no client library involved)."""

    kind: ClassVar[str] = "gitlab"
    page_size: ClassVar[int | None] = None
    name = "gitlab"
    requests_made = 0

    def pull(self, since: str | None, spec: PullSpec, *, full: bool = False) -> PullResult:
        return PullResult([], None, full=True)

    def read_homes(self, homes: Sequence[HomeItem], spec: PullSpec) -> dict[HomeItem, HomeState]:
        return {home: HomeState(home, False) for home in homes}

    def plan_writes(self, desired: Sequence[DesiredHome], current: Mapping[HomeItem, HomeState]) -> list[Write]:
        return []

    def apply(self, writes: Sequence[Write]) -> list[WriteResult]:
        return []

    def close(self) -> None:
        pass


def _settings(tmp_path: Path, extra: str = "") -> Any:
    text = BASE.replace("  url: sqlite:///okr-sync.db", f"  url: sqlite:///{tmp_path / 'state.db'}") + extra
    return load_text(text, file="okr-sync.yaml", environ={}).settings


def test_the_core_only_connector_has_no_optional_capability() -> None:
    connector = CoreOnly()
    assert isinstance(connector, Connector)
    assert [c.__name__ for c in CAPABILITIES if isinstance(connector, c)] == []


def test_a_webhook_for_a_tracker_without_webhooks_is_404_with_a_sentence(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = StateStore.open(settings.state.url)
    try:
        daemon = Daemon(settings, store, {"gitlab": CoreOnly()}, secrets=[])
        response = Client(daemon.wsgi).post("/webhooks/gitlab", data=b"{}")
        assert response.status_code == 404
        assert json.loads(response.get_data()) == {"error": "tracker 'gitlab' takes no webhooks; it is read every 5m"}
    finally:
        store.close()


def test_a_discover_rule_on_a_connector_that_cannot_discover_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "discover:\n  - tracker: gitlab\n")
    domain, problems = discover(build_domain(settings), settings, {"gitlab": CoreOnly()})
    assert domain.key_results == build_domain(settings).key_results
    assert problems == ["discover.0: tracker 'gitlab' cannot define KRs (its gitlab connector does not discover "
                        "KRs); define them in okr-sync.yaml"]
