"""Which tracker scopes this replica should work on.

Every replica takes one *membership slot* — an advisory-lock lease named ``member:<n>`` — and counts the
live slots through ``pg_locks``. Scopes are dealt round-robin over the live replicas by slot order; a
replica then takes the scope leases dealt to it and releases the others. A killed replica's slot and
leases vanish with its connections, so the survivors re-deal at their next tick (within one interval).
The scope leases themselves guarantee no scope is ever written by two replicas at once; the dealing only
spreads the work. On SQLite there is one process, which holds every scope.

Advisory locks belong to the whole database, not to a schema, so the lock namespace includes the schema
the URL selects (``?options=-csearch_path%3Dokr``): two deployments in two schemas of one database are
two separate sets of replicas, never one.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from okr_sync.store.database import lock_key, parse_url
from okr_sync.store.leases import LeaseManager

log = logging.getLogger("okr_sync.replicas")
SLOTS = 64
_LIVE_SQL = text(
    "SELECT ((classid::bigint << 32) | objid::bigint) AS k FROM pg_locks "
    "WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _unsigned(key: int) -> int:
    return key & 0xFFFFFFFFFFFFFFFF


def lease_namespace(url: str, base: str = "okr-sync") -> str:
    """The lock namespace of the state store at ``url``: ``base``, plus ``:<schema>`` when the URL selects
    a schema through ``options=-csearch_path=…`` (locks are per database; deployments are per schema)."""
    options = parse_url(url).query.get("options", "")
    text_options = " ".join(options) if isinstance(options, tuple) else options
    match = re.search(r"search_path\s*=\s*([^\s]+)", text_options)
    return f"{base}:{match.group(1)}" if match else base


class ScopeDealer:
    """Deals tracker scopes among live replicas and holds this replica's leases."""

    def __init__(self, url: str, holder_id: str, *, namespace: str | None = None) -> None:
        namespace = namespace or lease_namespace(url)
        self.leases = LeaseManager(url, holder_id, namespace=namespace)
        self.namespace = namespace
        self.postgres = parse_url(url).get_backend_name() == "postgresql"
        self._engine = create_engine(parse_url(url), poolclass=NullPool) if self.postgres else None
        self.slot: int | None = None

    def _slot_name(self, index: int) -> str:
        return f"member:{index}"

    def _ensure_slot(self) -> None:
        if self.slot is not None and self.leases.still_held(self._slot_name(self.slot)):
            return
        self.slot = next((i for i in range(SLOTS) if self.leases.try_acquire(self._slot_name(i))), None)

    def _live_slots(self) -> list[int]:
        assert self._engine is not None
        keys = {_unsigned(lock_key(f"{self.namespace}\x00{self._slot_name(i)}")): i for i in range(SLOTS)}
        with self._engine.connect() as conn:
            held = {_unsigned(int(row.k)) for row in conn.execute(_LIVE_SQL)}
        return sorted(index for key, index in keys.items() if key in held)

    def tick(self, scopes: list[str]) -> set[str]:
        """Re-deal and adjust leases; the scopes this replica may work on now."""
        if not self.postgres:
            return {scope for scope in scopes if self.leases.try_acquire(scope)}
        self._ensure_slot()
        if self.slot is None:
            log.warning("no free membership slot; working on no scope", extra={"slots": SLOTS})
            return set()
        live = self._live_slots() or [self.slot]
        rank, count = live.index(self.slot) if self.slot in live else 0, len(live)
        dealt = {scope for index, scope in enumerate(sorted(scopes)) if index % count == rank}
        for scope in self.leases.held() - dealt:
            if not scope.startswith("member:"):
                self.leases.release(scope)
        return {scope for scope in dealt if self.leases.try_acquire(scope)}

    def may_write(self, scope: str) -> bool:
        """Check, right before writing, that the lease on ``scope`` is still ours."""
        return self.leases.still_held(scope)

    def close(self) -> None:
        """Release everything (leases, slot, connections)."""
        self.leases.release_all()
        self.leases.close()
        if self._engine is not None:
            self._engine.dispose()
