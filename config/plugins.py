"""Tracker kinds as plugins: what each installed connector contributes to the configuration.

A connector registers one :class:`ConnectorPlugin` under the entry-point group ``okr_sync.connectors``
(``kind = "package.module:PLUGIN"``). The plugin is light on purpose: it names the connector's settings
model, its home keys, the link rules it supports and its webhook secret setting, and points at the
connector class by a ``"module:Class"`` string that is imported only when a tracker of that kind is opened.
So ``okr-sync --help`` and ``okr-sync validate`` read every installed kind without importing jira,
python-gitlab or msgraph. :mod:`okr_sync.config.models` builds the ``trackers`` union and the home
reference from :func:`installed`; nothing in ``config`` names a kind.
"""

from __future__ import annotations

import functools
import importlib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, SecretStr

from okr_sync.config.trackers import LinkRule, Strict, TrackerSettings

GROUP = "okr_sync.connectors"


class HomeKeys(Strict):
    """The keys naming a home item on one tracker kind, as written in ``home: {tracker: …, <keys>}``."""

    def item_key(self) -> str:
        """The item key the connector's items carry (what :class:`okr_sync.mapping.HomeItem` holds)."""
        raise NotImplementedError(f"{type(self).__name__} must define item_key()")


@dataclass(frozen=True)
class ConnectorPlugin:
    """One tracker kind: its settings, home keys, link rules, and where its connector class lives."""

    kind: str
    """The ``kind`` admins write under ``trackers.<name>``."""
    settings: type[TrackerSettings]
    """The settings model; its ``kind`` field is ``Literal[kind]``."""
    home: type[HomeKeys]
    """The keys of a home item on this kind (required fields) and how they make the item key."""
    connector: str
    """``"module:Class"`` of the connector, imported by :meth:`load` only."""
    link_rules: frozenset[str]
    """Link rule keys (``label``, ``title_prefix``…) its items can be linked by; others are config errors."""
    requirement: str | None = None
    """What to ``pip install`` when the connector's library is missing (``okr-sync[jira]``)."""
    webhook_setting: str | None = None
    """The settings field holding the secret webhook deliveries must carry; None: no webhooks."""
    admin: str | None = None
    """Module whose ``doctor`` / ``setup_plan`` / ``apply_setup`` take the connector first (``okr-sync doctor``,
    ``setup``); None when the connector class has those methods itself or offers no admin path."""
    item_url: Callable[[Any, str], str | None] | None = None
    """The web address of an item from the tracker's settings and the item key (reports link homes)."""

    def url_of(self, settings: TrackerSettings, key: str) -> str | None:
        """The web address of item ``key`` on a tracker with ``settings``, when the kind can say."""
        return self.item_url(settings, key) if self.item_url is not None else None

    def load(self) -> type[Any]:
        """The connector class (this imports the tracker's client library)."""
        module, _, name = self.connector.partition(":")
        return typing.cast(type[Any], getattr(importlib.import_module(module), name))

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when it is sound)."""
        found = []
        kind_field = self.settings.model_fields.get("kind")
        if kind_field is None or typing.get_args(kind_field.annotation) != (self.kind,):
            found.append(f"its settings model {self.settings.__name__} must declare kind: Literal['{self.kind}']")
        unknown = sorted(self.link_rules - set(LinkRule.model_fields))
        if unknown:
            found.append(f"it declares unknown link rules {', '.join(unknown)}; "
                         f"known: {', '.join(LinkRule.model_fields)}")
        if self.webhook_setting is not None and self.webhook_setting not in self.settings.model_fields:
            found.append(f"its webhook setting '{self.webhook_setting}' is not a field of {self.settings.__name__}")
        if self.admin is not None and ":" in self.admin:
            found.append(f"admin '{self.admin}' must name a module, not 'module:attribute'")
        if ":" not in self.connector:
            found.append(f"connector '{self.connector}' is not 'module:Class'")
        return found


@functools.cache
def _discover() -> tuple[dict[str, ConnectorPlugin], dict[str, str]]:
    found: dict[str, ConnectorPlugin] = {}
    broken: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if ep.name in found or ep.name in broken:
            continue  # the first distribution on sys.path wins, as for imports
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party plugin must not stop the other kinds
            broken[ep.name] = f"its entry point {ep.value} does not load ({type(exc).__name__}: {exc})"
            continue
        if not isinstance(plugin, ConnectorPlugin) or plugin.kind != ep.name:
            broken[ep.name] = (f"its entry point {ep.value} must name a ConnectorPlugin with kind '{ep.name}' "
                               "(see okr_sync.connectors.plugin)")
            continue
        problems = plugin.problems()
        if problems:
            broken[ep.name] = "; ".join(problems)
            continue
        found[ep.name] = plugin
    return found, broken


def installed() -> dict[str, ConnectorPlugin]:
    """Every sound plugin of the entry-point group, by kind (sorted by kind)."""
    return dict(_discover()[0])


def broken() -> dict[str, str]:
    """Kinds whose entry point is registered but unusable → why (reported when a tracker uses the kind)."""
    return dict(_discover()[1])


def secret_values(model: BaseModel) -> list[str]:
    """Every non-empty :class:`SecretStr` value in ``model``, wherever declared (nested models, lists, maps)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, SecretStr):
            if value.get_secret_value():
                found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(model)
    return found
