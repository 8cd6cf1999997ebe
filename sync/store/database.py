"""Engines and migrations of the state store: one place that knows SQLite and PostgreSQL apart.

- SQLite (default ``sqlite:///okr-sync.db``): WAL journal, foreign keys on, a busy timeout, and the
  driver's own transaction handling switched off so that writes start with ``BEGIN IMMEDIATE`` (threads
  of one process queue for the write lock instead of failing on a read-to-write upgrade).
- PostgreSQL: ``postgresql://`` and ``postgresql+psycopg://`` both use psycopg 3. A schema can be chosen
  with the URL query ``?options=-csearch_path%3Dmy_schema``.

Migrations are Alembic revisions inside the package (``sync/store/migrations``), run programmatically; on
PostgreSQL they hold an advisory lock so replicas starting together migrate one after the other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from okr_sync.config.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = "okr_sync_write"  # execution option: this connection's transaction will write (SQLite: IMMEDIATE)
SQLITE_BUSY_MS = 30_000


def redacted(url: str | URL) -> str:
    """``url`` safe for logs and errors (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def parse_url(url: str) -> URL:
    """Validate a state-store URL and pick the driver; raises ``ConfigurationError`` naming the fix."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            "state.url: not a database URL; use sqlite:///okr-sync.db or postgresql+psycopg://user@host/db"
        ) from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise ConfigurationError(
        f"state.url: unsupported database '{parsed.drivername}' in {redacted(parsed)}; "
        "use sqlite:///okr-sync.db or postgresql+psycopg://user@host/db"
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` configured for okr-sync (no connection is opened here)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigurationError(
                "state.url: an in-memory SQLite store would lose all state at exit and cannot be shared "
                "between threads; use a file, e.g. sqlite:///okr-sync.db"
            )
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {"connect_timeout": 10, "application_name": "okr-sync"}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def lock_key(name: str) -> int:
    """Stable signed 64-bit key for a PostgreSQL advisory lock named ``name``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def alembic_config() -> Config:
    """Alembic configuration pointing into the package (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema of ``engine``'s database to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("okr-sync:migrate")})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of okr-sync."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
