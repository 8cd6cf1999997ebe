"""The Microsoft Planner kind as okr-sync sees it before any tracker library loads (entry point ``planner``)."""

from __future__ import annotations

from okr_sync.config.plugins import ConnectorPlugin
from okr_sync.connectors.planner.settings import PlannerHome, PlannerTracker

PLUGIN = ConnectorPlugin(
    kind="planner",
    settings=PlannerTracker,
    home=PlannerHome,
    connector="okr_sync.connectors.planner.connector:PlannerConnector",
    link_rules=frozenset({"bucket", "title_prefix", "category"}),
    requirement="okr-sync[planner]",
    webhook_setting="webhook_client_state",
)
