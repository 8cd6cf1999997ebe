"""Fixtures of the state-store tests: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is the one on 127.0.0.1:5432 (database ``test``; override with ``OKRSYNC_TEST_PG_URL``). Each
test gets a fresh schema named ``okrsync_<run>_<n>`` (selected through the URL's ``search_path``), dropped
after the test; any schema of this run left behind is dropped at the end of the session. When PostgreSQL
cannot be reached the PostgreSQL variants FAIL under ``CI=true`` and skip (saying why) otherwise.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from okr_sync.store.database import redacted
from okr_sync.store.schema import metadata
from okr_sync.store.state import StateStore

PG_URL = os.environ.get("OKRSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
_counter = itertools.count()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def in_ci() -> bool:
    """True when running in CI, where PostgreSQL must be there."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test database, or a skip/fail when it is unreachable."""
    try:
        conn = psycopg.connect(_libpq(PG_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL at {redacted(PG_URL)} is unreachable ({str(exc).strip().splitlines()[0]})"
        if in_ci():
            pytest.fail(f"{reason}; CI=true requires the PostgreSQL variant of the store tests to run")
        pytest.skip(f"{reason}; start it or set OKRSYNC_TEST_PG_URL (CI would fail here)")
    yield conn
    rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"okrsync_{RUN_ID}_%",))
    for (schema,) in rows.fetchall():
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    conn.close()


@pytest.fixture
def pg_url(pg_admin: psycopg.Connection) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema of its own (dropped after the test)."""
    schema = f"okrsync_{RUN_ID}_{next(_counter)}"
    pg_admin.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    pg_admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg_session_url(pg_admin: psycopg.Connection) -> str:
    """A PostgreSQL schema migrated once for the session; ``store`` empties it before each test."""
    schema = f"okrsync_{RUN_ID}_session"
    pg_admin.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    StateStore.open(url).close()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL: SQLite file, then PostgreSQL schema."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    """A migrated, empty store: a fresh SQLite file, or the session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        opened = StateStore.open(str(request.getfixturevalue("sqlite_url")))
    else:
        opened = StateStore(str(request.getfixturevalue("pg_session_url")))
        names = ", ".join(table.name for table in metadata.sorted_tables)
        with opened.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    yield opened
    opened.close()
