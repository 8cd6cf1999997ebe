"""Tables of the state store (SQLAlchemy Core), shared by SQLite and PostgreSQL.

The Alembic revisions in ``sync/store/migrations/versions`` create exactly these tables; a test compares the
two so they cannot drift. Times are stored as UTC (``timestamptz`` on PostgreSQL, naive UTC text on
SQLite) and always come back timezone-aware UTC through :class:`UtcDateTime`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """A datetime column that accepts only aware datetimes and returns them in UTC.

    A naive datetime is refused rather than guessed at: a wrong offset would silently shift progress
    history and manual values by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """UTC on the way in; naive UTC for SQLite, which has no time-zone storage."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"state store: datetime {value.isoformat()} has no time zone; pass an aware datetime "
                "(e.g. datetime.now(UTC) or .replace(tzinfo=UTC))"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC on the way out, whatever the session time zone."""
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text (e.g. from an aggregate)
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


work_items = Table(
    "work_items",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("kr_ids", Text, nullable=False),  # JSON list, the tuple in its order
    Column("blocked", Boolean, nullable=False),
    Column("assignee", Text),
    Column("due", Date),
    Column("planned_week", Text),
    Column("points", Double),
    Column("estimate", Double),
    Column("numbers", Text, nullable=False),  # JSON object name -> float
    Column("updated", UtcDateTime),
    Column("completed", UtcDateTime),
    Column("url", Text),
    PrimaryKeyConstraint("tracker", "key"),
)

item_kr_links = Table(
    "item_kr_links",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("kr_id", Text, nullable=False),
    PrimaryKeyConstraint("tracker", "key", "kr_id"),
    ForeignKeyConstraint(["tracker", "key"], ["work_items.tracker", "work_items.key"], ondelete="CASCADE"),
    Index("ix_item_kr_links_kr_id", "kr_id"),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("committed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tracker"),
)

manual_values = Table(
    "manual_values",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kr_id", Text, nullable=False),
    Column("value", Double, nullable=False),
    Column("author", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("kr_id", "at", "author", "value"),  # an entry read again is the same entry
)

progress_points = Table(
    "progress_points",
    metadata,
    Column("subject_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("progress", Double, nullable=False),
    Column("status", Text, nullable=False),
    PrimaryKeyConstraint("subject_id", "at"),
)

written_markers = Table(
    "written_markers",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tracker", "key", "target"),
)

etags = Table(
    "etags",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("etag", Text, nullable=False),
    PrimaryKeyConstraint("tracker", "key"),
)

cycle_outcomes = Table(
    "cycle_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tracker", Text, nullable=False),
    Column("started", UtcDateTime, nullable=False),
    Column("finished", UtcDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("calls", Integer, nullable=False),
    Column("writes", Integer, nullable=False),
    Column("problems", Text, nullable=False),  # JSON list of strings
    Index("ix_cycle_outcomes_tracker_finished", "tracker", "finished"),
)

pending_homes = Table(
    "pending_homes",
    metadata,
    Column("tracker", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("marked_at", UtcDateTime, nullable=False),  # when a committed pull last saw the home change
    PrimaryKeyConstraint("tracker", "key"),
)
"""Home items a committed pull saw change and no cycle has read and reconciled yet (see engine.cycle)."""

configuration = Table(
    "configuration",
    metadata,
    Column("name", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("name"),
)
"""Digests of the configuration a completed cycle used (``inputs``: what KRs are computed from), so a
changed configuration is noticed by the next cycle of any process (see engine.inputs)."""

acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("subject_id", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("acknowledged_by", Text, nullable=False),
    Column("acknowledged_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("subject_id", "fingerprint"),
)
