"""The Azure DevOps kind as okr-sync sees it before the connector loads (entry point ``azure_devops``)."""

from __future__ import annotations

from okr_sync.config.plugins import ConnectorPlugin
from okr_sync.connectors.azure_devops.settings import AzureDevOpsHome, AzureDevOpsTracker


def _work_item_url(settings: AzureDevOpsTracker, key: str) -> str | None:
    return f"{settings.url.rstrip('/')}/_workitems/edit/{key}" if key.isdigit() else None


PLUGIN = ConnectorPlugin(
    kind="azure_devops",
    settings=AzureDevOpsTracker,
    home=AzureDevOpsHome,
    connector="okr_sync.connectors.azure_devops.connector:AzureDevOpsConnector",
    link_rules=frozenset({"label", "field", "children_of_home", "title_prefix"}),
    requirement="okr-sync[azure_devops]",
    webhook_setting="webhook_password",
    admin="okr_sync.connectors.azure_devops.admin",
    item_url=_work_item_url,
)
