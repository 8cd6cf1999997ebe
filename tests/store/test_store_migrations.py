"""Migrations from an empty database, re-runs, drift between tables and revisions, URLs and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from okr_sync.config.errors import ConfigurationError
from okr_sync.store import database as store_engine
from okr_sync.store.schema import metadata
from okr_sync.store.state import StateStore
from tests.store.factories import item

TABLES = {"work_items", "item_kr_links", "watermarks", "manual_values", "progress_points", "written_markers",
          "etags", "cycle_outcomes", "acknowledgements", "pending_homes", "configuration", "alembic_version"}
HEAD = "0003_configuration"


def test_open_migrates_an_empty_database_to_head(store_url: str) -> None:
    store = StateStore(store_url)
    try:
        assert store.revision() is None
        with store.engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        store.migrate()
        assert store.revision() == store_engine.head_revision() == HEAD
        with store.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == TABLES
    finally:
        store.close()


def test_migrating_again_changes_nothing_and_keeps_data(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.commit_pull("jira", [item("A-1", "KR1")], "w1")
    with StateStore.open(store_url) as again:
        again.migrate()
        assert again.revision() == HEAD
        assert again.items() == [item("A-1", "KR1")]
        assert again.watermark("jira") == "w1"


def test_the_revisions_create_exactly_the_tables_the_code_uses(store_url: str) -> None:
    with StateStore.open(store_url) as store, store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    with StateStore.open(sqlite_url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store_engine.SQLITE_BUSY_MS


def test_deleting_an_item_cascades_to_its_links(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.commit_pull("jira", [item("A-1", "KR1", "KR2")], "w1")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM work_items")
            assert conn.exec_driver_sql("SELECT count(*) FROM item_kr_links").scalar() == 0


@pytest.mark.postgres
def test_plain_postgresql_urls_use_psycopg(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with StateStore.open(plain) as store:
        assert store.engine.dialect.driver == "psycopg"
        store.commit_pull("jira", [item("A-1")], "w1")
        assert store.watermark("jira") == "w1"


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u:pw@db/okr", "unsupported database 'mysql'"),
    ("sqlite://", "in-memory SQLite store would lose all state"),
    ("sqlite:///:memory:", "in-memory SQLite store would lose all state"),
    ("not a url", "not a database URL"),
])
def test_bad_urls_are_configuration_errors_that_say_what_to_use(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        StateStore(url)
    assert "sqlite:///okr-sync.db" in str(caught.value)


def test_passwords_never_appear_in_errors_or_repr(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        StateStore("mysql://okr:s3cret-pw@db.example.gov/okr")
    assert "s3cret-pw" not in str(caught.value)
    store = StateStore("postgresql+psycopg://okr:s3cret-pw@127.0.0.1:1/okr")
    assert "s3cret-pw" not in repr(store)
    store.close()
    assert store_engine.redacted("postgresql://okr:s3cret-pw@h/db") == "postgresql://okr:***@h/db"


def test_downgrade_to_base_and_up_again(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        cfg = store_engine.alembic_config()
        with store.engine.connect() as conn:
            conn.execution_options(**{store_engine.WRITE: True})
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "base")
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
        assert store.revision() is None
        store.migrate()
        assert store.revision() == HEAD
        store.commit_pull("jira", [item("A-1")], "w1")
        assert store.watermark("jira") == "w1"


def test_upgrading_a_first_revision_store_keeps_its_data_and_adds_pending_homes(store_url: str) -> None:
    """A store created by an older okr-sync (revision 0001) gains ``pending_homes`` and loses nothing."""
    store = StateStore(store_url)
    try:
        store_engine.migrate(store.engine, "0001_initial")
        store.commit_pull("jira", [item("A-1", "KR1")], "w1")  # no homes: writes no pending row
        assert store.revision() == "0001_initial"
        store.migrate()
        assert store.revision() == HEAD
        assert store.items() == [item("A-1", "KR1")] and store.watermark("jira") == "w1"
        assert store.pending_homes() == {}
        store.commit_pull("jira", [item("A-1", "KR1")], "w2", homes={"A-1"})
        assert set(store.pending_homes()) == {("jira", "A-1")}
    finally:
        store.close()
