"""What KRs are computed from, as one digest per tracker: a changed configuration forces a full cycle.

Incremental cycles read only what changed in the trackers. A change in ``okr-sync.yaml`` — an owner's
identity added to the people directory, a KR's measure, owner or home, a link rule, the locale — changes
no tracker item, yet it changes what KRs are computed from: without this, a value ignored because its
author had no identity stayed ignored until the next full reconcile (24 h in the daemon). The digest of
the configuration (secrets masked; state, server and schedule left out: they change no KR) is stored per
tracker after a cycle that read it without error; a cycle finding another digest for any of its
trackers reads everything once (``once``, ``run`` and every replica alike: the digest lives in the store).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from okr_sync.config.models import Settings

NAME = "inputs:{tracker}"
LEFT_OUT = {"state", "server", "schedule"}


def inputs_fingerprint(settings: Settings) -> str:
    """A stable digest of everything in the configuration that KR statuses are computed from."""
    data = settings.model_dump(mode="json", exclude=LEFT_OUT)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def changed_trackers(store: Any, settings: Settings, trackers: Iterable[str]) -> list[str]:
    """The trackers whose last cycle used another configuration (or none yet recorded)."""
    digest = inputs_fingerprint(settings)
    return [name for name in trackers
            if store.configuration_fingerprint(NAME.format(tracker=name)) != digest]


def record(store: Any, settings: Settings, trackers: Iterable[str]) -> None:
    """Remember that these trackers were read with the current configuration."""
    digest = inputs_fingerprint(settings)
    for name in trackers:
        store.record_configuration_fingerprint(digest, NAME.format(tracker=name))
