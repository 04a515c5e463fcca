"""Run reports: what the console's run page draws, one JSON document per run.

The results table keeps the numbers alerts and history read; the report adds
the distributions (histograms on the reference's edges, category shares) that
a chart needs and that no result row holds. It goes with its run.

Revision ID: 0004_run_reports
Revises: 0003_leases
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_run_reports"
down_revision: str | None = "0003_leases"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the run_reports table."""
    op.create_table(
        "run_reports",
        sa.Column("run_id", Id, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE",
                                name=op.f("fk_run_reports_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_reports")),
    )


def downgrade() -> None:
    """Drop the run_reports table."""
    op.drop_table("run_reports")
