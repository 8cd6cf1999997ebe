"""Leases on tracker scopes, so several replicas split the scopes and never write one scope at once.

PostgreSQL: each held scope is a session-level advisory lock (``pg_try_advisory_lock`` on a stable
64-bit hash of namespace and scope) taken on a connection dedicated to that lease and kept open in
autocommit mode. When a replica dies its connections close and PostgreSQL frees its locks at once;
nothing needs cleaning up. ``still_held`` asks the server whether this lease's session still holds the
lock, so a holder whose connection was dropped (network cut, ``pg_terminate_backend``) finds out before
it writes. The locks of a replica show in ``pg_stat_activity`` as ``application_name = okr-sync
lease <holder>``.

SQLite: a store on SQLite serves one process, so a process-local lock table is enough: a scope is
granted to the first holder that asks and refused to any other holder in the same process until
released. Two processes sharing one SQLite file are not coordinated; run PostgreSQL for replicas.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from okr_sync.store.database import lock_key, parse_url, redacted

_HELD_SQL = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = CAST(:classid AS oid) AND objid = CAST(:objid AS oid) AND objsubid = 1"
)

# SQLite leases: (database, namespace, scope) -> holder, for this process only.
_local_table: dict[tuple[str, str, str], str] = {}
_local_guard = threading.Lock()


class LeaseManager:
    """The leases one replica (``holder_id``) holds on tracker scopes of one state store."""

    def __init__(self, url: str, holder_id: str, *, namespace: str = "okr-sync") -> None:
        self.holder_id = holder_id
        self.namespace = namespace
        self._url = parse_url(url)
        self._guard = threading.Lock()
        self._connections: dict[str, Connection] = {}
        self._local: set[str] = set()
        self._engine: Engine | None = None
        if self._url.get_backend_name() == "postgresql":
            args: dict[str, Any] = {"application_name": f"okr-sync lease {holder_id}"[:63],
                                    "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
                                    "keepalives_interval": 10, "keepalives_count": 3}
            self._engine = create_engine(self._url, poolclass=NullPool, connect_args=args)

    def __repr__(self) -> str:
        return f"LeaseManager({redacted(self._url)!r}, holder={self.holder_id!r})"

    def __enter__(self) -> LeaseManager:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def key(self, scope: str) -> int:
        """The advisory-lock key of ``scope`` (stable across processes and versions)."""
        return lock_key(f"{self.namespace}\x00{scope}")

    def try_acquire(self, scope: str) -> bool:
        """Take the lease on ``scope`` if nobody else holds it; True when this holder holds it now."""
        if self._engine is None:
            return self._try_local(scope)
        with self._guard:
            if scope in self._connections:
                if self._alive(scope):
                    return True
                self._drop(scope)
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                granted = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key(scope)}))
            except BaseException:
                conn.close()
                raise
            if not granted:
                conn.close()
                return False
            self._connections[scope] = conn
            return True

    def still_held(self, scope: str) -> bool:
        """True if this holder still holds ``scope`` (on PostgreSQL: asks the server over its connection)."""
        if self._engine is None:
            with _local_guard:
                return scope in self._local and _local_table.get(self._local_key(scope)) == self.holder_id
        with self._guard:
            if scope not in self._connections:
                return False
            if self._alive(scope):
                return True
            self._drop(scope)
            return False

    def held(self) -> set[str]:
        """Scopes this holder believes it holds (no server round trip; see ``still_held``)."""
        with self._guard:
            return set(self._connections) | set(self._local)

    def release(self, scope: str) -> None:
        """Give up the lease on ``scope`` (nothing happens if it is not held)."""
        if self._engine is None:
            with _local_guard:
                if _local_table.get(self._local_key(scope)) == self.holder_id:
                    del _local_table[self._local_key(scope)]
                self._local.discard(scope)
            return
        with self._guard:
            conn = self._connections.get(scope)
            if conn is None:
                return
            with contextlib.suppress(SQLAlchemyError):  # a dead connection took the lock with it
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key(scope)})
            self._drop(scope)

    def release_all(self) -> None:
        """Give up every lease this holder has."""
        for scope in self.held():
            self.release(scope)

    def close(self) -> None:
        """Release every lease and the engine."""
        self.release_all()
        if self._engine is not None:
            self._engine.dispose()

    def _local_key(self, scope: str) -> tuple[str, str, str]:
        return (str(Path(str(self._url.database)).resolve()), self.namespace, scope)

    def _try_local(self, scope: str) -> bool:
        with _local_guard:
            holder = _local_table.setdefault(self._local_key(scope), self.holder_id)
            if holder != self.holder_id:
                return False
            self._local.add(scope)
            return True

    def _alive(self, scope: str) -> bool:
        key = self.key(scope) & 0xFFFF_FFFF_FFFF_FFFF
        try:
            count = self._connections[scope].scalar(_HELD_SQL, {"classid": key >> 32, "objid": key & 0xFFFF_FFFF})
        except SQLAlchemyError:
            return False
        return bool(count)

    def _drop(self, scope: str) -> None:
        conn = self._connections.pop(scope)
        with contextlib.suppress(SQLAlchemyError):
            conn.close()
