"""Finding connectors: built-in and third-party ones alike, through the plugins registered under the
entry-point group ``okr_sync.connectors`` (see :mod:`okr_sync.connectors.plugin`)."""

from __future__ import annotations

from typing import Any

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.plugins import GROUP, ConnectorPlugin, broken, installed


def installed_kinds() -> list[str]:
    """Kinds with a usable plugin in the entry-point group, sorted."""
    return sorted(installed())


def plugin_for(kind: str) -> ConnectorPlugin:
    """The plugin of ``kind``; a clear error naming the installed kinds otherwise."""
    plugin = installed().get(kind)
    if plugin is not None:
        return plugin
    why = broken().get(kind)
    if why is not None:
        raise ConfigurationError(f"the connector for tracker kind '{kind}' is installed but cannot be used: {why}")
    raise ConfigurationError(
        f"no connector for tracker kind '{kind}'; installed: {', '.join(installed_kinds()) or 'none'}. "
        f"Third-party connectors register under the entry-point group '{GROUP}'."
    )


def connector_class(kind: str) -> Any:
    """The connector class for ``kind`` (this imports the tracker's client library)."""
    plugin = plugin_for(kind)
    try:
        return plugin.load()
    except ImportError as exc:
        install = f"pip install '{plugin.requirement}'" if plugin.requirement else "reinstall the package providing it"
        raise ConfigurationError(
            f"the {kind} connector cannot load ({exc.name or exc}); install it with {install}"
        ) from None
