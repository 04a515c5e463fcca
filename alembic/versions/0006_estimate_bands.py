"""Estimate bands: an estimated model metric is stored with its 95 % band.

``lower`` and ``upper`` hold the band of an ``estimated`` result (and of an
``estimation_error`` one: the band the realized value was judged against).
Existing rows keep nulls.

Revision ID: 0006_estimate_bands
Revises: 0005_check_details
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_estimate_bands"
down_revision: str | None = "0005_check_details"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the band columns to results."""
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("lower", sa.Double(), nullable=True))
        batch.add_column(sa.Column("upper", sa.Double(), nullable=True))


def downgrade() -> None:
    """Drop the band columns."""
    with op.batch_alter_table("results") as batch:
        batch.drop_column("upper")
        batch.drop_column("lower")
