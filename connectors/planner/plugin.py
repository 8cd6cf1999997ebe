"""The Microsoft Planner kind as okr-sync sees it before any tracker library loads (entry point ``planner``)."""

from __future__ import annotations

from okr_sync.config.plugins import ConnectorPlugin
from okr_sync.connectors.planner.settings import PlannerHome, PlannerTracker


def _task_url(settings: PlannerTracker, key: str) -> str:
    return f"https://tasks.office.com/{settings.tenant_id}/Home/Task/{key}"

PLUGIN = ConnectorPlugin(
    kind="planner",
    settings=PlannerTracker,
    home=PlannerHome,
    connector="okr_sync.connectors.planner.connector:PlannerConnector",
    link_rules=frozenset({"bucket", "title_prefix", "category"}),
    requirement="okr-sync[planner]",
    webhook_setting="webhook_client_state",
    admin="okr_sync.connectors.planner.admin",
    item_url=_task_url,
)
