"""Check details: what the quality checks operators write report besides pass or fail.

A check that counts rows stores the exact count of failing rows, up to ten
failing values (a JSON list of strings, never for sensitive columns), the
name of a check that has no single column (a condition, a query, a set of
columns), and a note on how it was computed. Existing rows keep nulls.

Revision ID: 0005_check_details
Revises: 0004_run_reports
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_check_details"
down_revision: str | None = "0004_run_reports"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = ("failing_rows", "name", "samples", "note")


def upgrade() -> None:
    """Add the detail columns to results."""
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("failing_rows", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("samples", sa.Text(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the detail columns."""
    with op.batch_alter_table("results") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
