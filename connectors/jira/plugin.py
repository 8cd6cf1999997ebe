"""The Jira kind as okr-sync sees it before any tracker library loads (entry point ``jira``)."""

from __future__ import annotations

from okr_sync.config.plugins import ConnectorPlugin
from okr_sync.connectors.jira.settings import JiraHome, JiraTracker


def _browse(settings: JiraTracker, key: str) -> str:
    return f"{settings.url.rstrip('/')}/browse/{key}"

PLUGIN = ConnectorPlugin(
    kind="jira",
    settings=JiraTracker,
    home=JiraHome,
    connector="okr_sync.connectors.jira.connector:JiraConnector",
    link_rules=frozenset({"label", "field", "children_of_home", "issue_link", "title_prefix"}),
    requirement="okr-sync[jira]",
    webhook_setting="webhook_secret",
    admin="okr_sync.connectors.jira.admin",
    item_url=_browse,
)
