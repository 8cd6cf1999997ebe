"""The GitLab kind as okr-sync sees it before any tracker library loads (entry point ``gitlab``)."""

from __future__ import annotations

from okr_sync.config.plugins import ConnectorPlugin
from okr_sync.connectors.gitlab.settings import GitLabHome, GitLabTracker


def _issue_url(settings: GitLabTracker, key: str) -> str | None:
    project, _, iid = key.rpartition("#")
    return f"{settings.url.rstrip('/')}/{project}/-/issues/{iid}" if project and iid else None

PLUGIN = ConnectorPlugin(
    kind="gitlab",
    settings=GitLabTracker,
    home=GitLabHome,
    connector="okr_sync.connectors.gitlab.connector:GitLabConnector",
    link_rules=frozenset({"label", "title_prefix", "issue_link"}),
    requirement="okr-sync[gitlab]",
    webhook_setting="webhook_secret",
    admin="okr_sync.connectors.gitlab.admin",
    item_url=_issue_url,
)
