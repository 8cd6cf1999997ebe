"""Finding connectors: built-in ones and third-party ones, through the entry-point group
``okr_sync.connectors`` (``kind = "package.module:Class"``)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from okr_sync.config.errors import ConfigurationError

GROUP = "okr_sync.connectors"
EXTRAS = {"jira": "jira", "gitlab": "gitlab", "planner": "planner"}


def installed_kinds() -> list[str]:
    """Kinds registered in the entry-point group."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def connector_class(kind: str) -> Any:
    """The connector class for ``kind``; a clear error naming the installed kinds otherwise."""
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == kind]
    if not matches:
        raise ConfigurationError(
            f"no connector for tracker kind '{kind}'; installed: {', '.join(installed_kinds()) or 'none'}. "
            f"Third-party connectors register under the entry-point group '{GROUP}'."
        )
    try:
        return matches[0].load()
    except ImportError as exc:
        extra = EXTRAS.get(kind, kind)
        raise ConfigurationError(
            f"the {kind} connector cannot load ({exc.name or exc}); install it with pip install 'okr-sync[{extra}]'"
        ) from None
