"""Window leases: which process is running a monitor's window, until when.

Two daemons on one database must never run the same window at once: the
first to insert the lease row runs it; a lease left by a killed process
expires and may be taken over.

Revision ID: 0003_leases
Revises: 0002_alerting
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_leases"
down_revision: str | None = "0002_alerting"
branch_labels: str | None = None
depends_on: str | None = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the window_leases table."""
    op.create_table(
        "window_leases",
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("window_start", Time, nullable=False),
        sa.Column("window_end", Time, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("acquired_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("monitor", "window_start", "window_end",
                                name=op.f("pk_window_leases")),
    )


def downgrade() -> None:
    """Drop the window_leases table."""
    op.drop_table("window_leases")
