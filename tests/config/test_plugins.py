"""Tracker kinds come from plugins (issue 23): the registry, a broken third-party plugin, secrets by type."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr

from okr_sync.config import plugins
from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text
from okr_sync.config.plugins import ConnectorPlugin, HomeKeys, installed, secret_values
from okr_sync.config.trackers import Strict, TrackerSettings
from okr_sync.connectors.registry import connector_class, plugin_for
from okr_sync.engine.runtime import secrets_of

BASE = (Path(__file__).parent / "base.yaml").read_text()


class _Deep(Strict):
    secret: SecretStr
    more: list[SecretStr] = []


class _Settings(TrackerSettings):
    kind: Literal["odd"]
    nested: dict[str, _Deep] = {}


class _Home(HomeKeys):
    ref: str


def test_the_built_in_kinds_are_plugins_with_what_validation_needs() -> None:
    found = installed()
    assert {"jira", "gitlab", "planner"} <= set(found)
    for kind, plugin in found.items():
        assert plugin.kind == kind and plugin.problems() == []
        assert plugin.home.model_fields and plugin.link_rules


def test_a_declaration_that_does_not_fit_is_explained() -> None:
    plugin = ConnectorPlugin(kind="other", settings=_Settings, home=_Home, connector="pkg.mod.Class",
                             link_rules=frozenset({"label", "swimlane"}), webhook_setting="hook_secret")
    problems = " | ".join(plugin.problems())
    assert "must declare kind: Literal['other']" in problems
    assert "unknown link rules swimlane" in problems
    assert "webhook setting 'hook_secret' is not a field of _Settings" in problems
    assert "connector 'pkg.mod.Class' is not 'module:Class'" in problems


@pytest.fixture
def broken_distribution(tmp_path: Path) -> Iterator[None]:
    """A third-party distribution whose entry point does not load, put on sys.path like an install."""
    info = tmp_path / "okr_broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: okr-broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[okr_sync.connectors]\nyoutrack = okr_broken_missing.plugin:PLUGIN\n")
    sys.path.insert(0, str(tmp_path))
    plugins._discover.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        plugins._discover.cache_clear()


@pytest.mark.usefixtures("broken_distribution")
def test_a_broken_plugin_is_named_and_never_stops_the_other_kinds() -> None:
    assert {"jira", "gitlab", "planner"} <= set(installed())
    assert "youtrack" not in installed()
    with pytest.raises(ConfigurationError) as caught:
        plugin_for("youtrack")
    assert "the connector for tracker kind 'youtrack' is installed but cannot be used: its entry point " \
           "okr_broken_missing.plugin:PLUGIN does not load (ModuleNotFoundError" in str(caught.value)
    with pytest.raises(ConfigurationError) as unknown:
        connector_class("youtrak")
    assert f"no connector for tracker kind 'youtrak'; installed: {', '.join(installed())}." in str(unknown.value)


def test_every_secret_is_found_by_type_wherever_it_is_declared() -> None:
    settings = _Settings.model_validate({"kind": "odd", "nested": {"a": {"secret": "s1", "more": ["s2", ""]}}})
    assert secret_values(settings) == ["s1", "s2"]


def test_planners_client_state_and_every_auth_secret_are_redacted() -> None:
    loaded = load_text(BASE.replace("      plans: [plan1]",
                                    "      plans: [plan1]\n    webhook_client_state: client-state-3f9a"),
                       file="okr-sync.yaml", environ={})
    assert sorted(secrets_of(loaded.settings)) == sorted([
        "jira-secret-token-123", "jira-hook-secret-456", "gitlab-secret-token-789", "planner-secret-abc",
        "client-state-3f9a"])
