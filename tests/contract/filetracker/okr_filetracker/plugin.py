"""The entry point: what okr-sync needs to know before the connector module is imported."""

from __future__ import annotations

from okr_filetracker.settings import FileHome, FileTrackerSettings
from okr_sync.config.plugins import ConnectorPlugin

PLUGIN = ConnectorPlugin(
    kind="filetracker",
    settings=FileTrackerSettings,
    home=FileHome,
    connector="okr_filetracker.connector:FileConnector",
    link_rules=frozenset({"label", "title_prefix"}),
    requirement="okr-filetracker",
)
