"""Pending homes: home items a committed pull saw change, kept until a cycle has read and reconciled them.

Before this table the set lived in memory only, so a crash between a tracker's committed pull and the
reading of its homes lost people's edits on those homes until the next full reconcile (issue 26).

Revision ID: 0002_pending_homes
Revises: 0001_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_pending_homes"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``pending_homes`` (empty: the next pull of each tracker fills it)."""
    op.create_table(
        "pending_homes",
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tracker", "key", name="pk_pending_homes"),
    )


def downgrade() -> None:
    """Drop ``pending_homes`` (homes pending at that moment are re-read only by the next full reconcile)."""
    op.drop_table("pending_homes")
