"""Connector logging: every line a connector writes carries ``tracker=<name>`` as a structured field.

Each connector instance (and its session or transport) logs through a :class:`TrackerLog`, a
``LoggerAdapter`` that adds ``extra={"tracker": name}``; the daemon's JSON log shows it as a field, so
the lines of one tracker are found by a filter, not by reading messages.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any


class TrackerLog(logging.LoggerAdapter[logging.Logger]):
    """A connector's logger: ``tracker`` in every record (an explicit ``extra`` keeps its other fields)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Merge the tracker into the call's ``extra``."""
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs


def tracker_log(kind: str, tracker: str) -> TrackerLog:
    """The logger of tracker ``tracker`` of kind ``kind`` (``okr_sync.connectors.<kind>``)."""
    return TrackerLog(logging.getLogger(f"okr_sync.connectors.{kind}"), {"tracker": tracker})
