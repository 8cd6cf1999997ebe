"""Initial state store: work items and KR links, watermarks, manual values, progress history, write
markers, ETags, cycle outcomes and acknowledgements.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "work_items",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("kr_ids", sa.Text(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("assignee", sa.Text()),
        sa.Column("due", sa.Date()),
        sa.Column("planned_week", sa.Text()),
        sa.Column("points", sa.Double()),
        sa.Column("estimate", sa.Double()),
        sa.Column("numbers", sa.Text(), nullable=False),
        sa.Column("updated", UTC_TIME),
        sa.Column("completed", UTC_TIME),
        sa.Column("url", sa.Text()),
        sa.PrimaryKeyConstraint("tracker", "key", name="pk_work_items"),
    )
    op.create_table(
        "item_kr_links",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kr_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tracker", "key", "kr_id", name="pk_item_kr_links"),
        sa.ForeignKeyConstraint(["tracker", "key"], ["work_items.tracker", "work_items.key"],
                                name="fk_item_kr_links_work_items", ondelete="CASCADE"),
    )
    op.create_index("ix_item_kr_links_kr_id", "item_kr_links", ["kr_id"])
    op.create_table(
        "watermarks",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("committed_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("tracker", name="pk_watermarks"),
    )
    op.create_table(
        "manual_values",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kr_id", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_manual_values"),
        sa.UniqueConstraint("kr_id", "at", "author", "value", name="uq_manual_values_kr_id_at_author_value"),
    )
    op.create_table(
        "progress_points",
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "at", name="pk_progress_points"),
    )
    op.create_table(
        "written_markers",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("written_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("tracker", "key", "target", name="pk_written_markers"),
    )
    op.create_table(
        "etags",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tracker", "key", name="pk_etags"),
    )
    op.create_table(
        "cycle_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("started", UTC_TIME, nullable=False),
        sa.Column("finished", UTC_TIME, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cycle_outcomes"),
    )
    op.create_index("ix_cycle_outcomes_tracker_finished", "cycle_outcomes", ["tracker", "finished"])
    op.create_table(
        "acknowledgements",
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "fingerprint", name="pk_acknowledgements"),
    )


def downgrade() -> None:
    """Drop every table (all state is lost)."""
    for index, table in (("ix_cycle_outcomes_tracker_finished", "cycle_outcomes"),
                         ("ix_item_kr_links_kr_id", "item_kr_links")):
        op.drop_index(index, table_name=table)
    for table in ("acknowledgements", "cycle_outcomes", "etags", "written_markers", "progress_points",
                  "manual_values", "watermarks", "item_kr_links", "work_items"):
        op.drop_table(table)
