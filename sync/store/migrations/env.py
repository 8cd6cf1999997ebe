"""Alembic environment of the state store.

okr-sync runs migrations itself (``StateStore.open`` / ``okr-sync`` start-up) and passes its connection in
``config.attributes["connection"]``. For authoring a new revision by hand, run Alembic with
``-x url=sqlite:///dev.db`` and ``script_location`` pointing here; the engine is then made from that URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from okr_sync.store.database import make_engine
from okr_sync.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Migrate the connection handed over by okr-sync, or one made from ``-x url=...``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("okr-sync migrations: pass the database with -x url=sqlite:///file.db")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("okr-sync migrations run online only (they need to read the current revision)")
run_migrations()
