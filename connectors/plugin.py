"""How a tracker kind plugs into okr-sync — the one page a connector author reads.

A connector is a distribution (or a folder of okr-sync, ``connectors/<kind>/``) with three parts:

1. ``settings.py`` — the settings model, a :class:`~okr_sync.config.trackers.TrackerSettings` subclass with
   ``kind: Literal["<kind>"]`` (every ``SecretStr`` in it is redacted from logs and errors, wherever it is
   declared), and a :class:`HomeKeys` model: the keys of a home item in ``home: {tracker: …, <keys>}`` and
   how they make the item key. It imports pydantic and ``okr_sync.config`` only — never the tracker's
   client library — because ``okr-sync --help`` and ``okr-sync validate`` read every installed kind.
2. ``plugin.py`` — one :class:`ConnectorPlugin`, the entry point::

       [project.entry-points."okr_sync.connectors"]
       mykind = "my_package.plugin:PLUGIN"

   It names the settings and home models, the link rules the kind supports (others are configuration
   errors), the webhook secret setting, an optional admin module, how to build an item's web address,
   and the connector class as a ``"module:Class"`` string, imported only when a tracker of the kind opens.
3. ``connector.py`` — the class: :class:`~okr_sync.connectors.base.Connector`, plus whichever
   capabilities of :mod:`okr_sync.connectors.capabilities` it offers (discovery, mentions, user listing,
   webhooks, doctor / setup). Nothing else in okr-sync names the kind: the configuration model, the
   reference in the README, home keys, validation, the daemon and the engine all ask the plugin or the
   capability.

``okr_sync.testing`` is the contract suite a connector runs against its tracker (or an emulator);
``tests/contract/filetracker/`` is a complete small example packaged on its own.
"""

from __future__ import annotations

from okr_sync.config.plugins import GROUP, ConnectorPlugin, HomeKeys
from okr_sync.config.trackers import TrackerSettings

__all__ = ["GROUP", "ConnectorPlugin", "HomeKeys", "TrackerSettings"]
