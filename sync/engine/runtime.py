"""Opening what a command needs: configuration, state store, connectors — with errors that say what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from okr_sync.config.load import LoadedConfig, load_config
from okr_sync.config.models import Settings
from okr_sync.config.plugins import secret_values
from okr_sync.connectors.base import Connector
from okr_sync.connectors.registry import connector_class


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the configuration (for redaction): each ``SecretStr``, wherever a connector's
    settings declare it."""
    return [secret for tracker in settings.trackers.values() for secret in secret_values(tracker)]


def open_connectors(settings: Settings, *, only: set[str] | None = None) -> dict[str, Connector]:
    """One connector per configured tracker (``only`` restricts); tracker libraries load here, lazily."""
    connectors: dict[str, Connector] = {}
    for name, tracker in settings.trackers.items():
        if only is None or name in only:
            connectors[name] = connector_class(tracker.kind)(name, tracker)
    return connectors


@dataclass
class Runtime:
    """Configuration, store and connectors of one command run."""

    loaded: LoadedConfig
    store: Any
    connectors: dict[str, Connector] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        """The validated settings."""
        return self.loaded.settings

    def close(self) -> None:
        """Close connectors and the store."""
        for connector in self.connectors.values():
            connector.close()
        self.store.close()


@contextmanager
def runtime(config: str | None, *, with_connectors: bool = True, only: set[str] | None = None) -> Iterator[Runtime]:
    """Load configuration, open the store (migrated) and, optionally, the connectors."""
    from okr_sync.store.state import StateStore

    loaded = load_config(config)
    store = StateStore.open(loaded.settings.state.url)
    rt = Runtime(loaded, store)
    try:
        if with_connectors:
            rt.connectors = open_connectors(loaded.settings, only=only)
        yield rt
    finally:
        rt.close()
