"""Configuration fingerprint: the digest of what KRs are computed from, as the last completed cycle used it.

A changed configuration (an owner's identity added, a KR's measure or home changed, another locale) must
recompute every KR from a full read on the next cycle instead of waiting for the daily reconcile
(issue 19).

Revision ID: 0003_configuration
Revises: 0002_pending_homes
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_configuration"
down_revision: str | None = "0002_pending_homes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``configuration`` (empty: the next cycle reads everything once and records its digest)."""
    op.create_table(
        "configuration",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_configuration"),
    )


def downgrade() -> None:
    """Drop ``configuration`` (the next cycle after an upgrade again reads everything once)."""
    op.drop_table("configuration")
