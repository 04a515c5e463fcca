"""Alerting: silences, and what alert states need for levels, no-data/error and routing.

``silences`` holds operators' silences: matching alerts keep changing state
but send nothing until the silence ends or is expired. ``alert_states``
gains the instance's severity (rules with several levels), the reason of the
last evaluation (condition, no_data, error), the windows a firing alert has
been kept firing after its condition cleared, whether the current firing
episode was announced, why its last message was held back (a silence or an
inhibiting level), and when its last firing message was written (reminders).

Revision ID: 0002_alerting
Revises: 0001_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_alerting"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the silences table and add the routing columns of alert states."""
    op.create_table(
        "silences",
        sa.Column("id", Id, nullable=False),
        sa.Column("alert", sa.String(255), nullable=False),
        sa.Column("monitor", sa.String(255), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("starts_at", Time, nullable=False),
        sa.Column("ends_at", Time, nullable=False),
        sa.Column("expired_at", Time, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_ends_at"), "silences", ["ends_at"])
    with op.batch_alter_table("alert_states") as table:
        table.add_column(sa.Column("severity", sa.String(16), nullable=True))
        table.add_column(sa.Column("reason", sa.String(16), nullable=False,
                                   server_default="condition"))
        table.add_column(sa.Column("clear_windows", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("announced", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        table.add_column(sa.Column("muted", sa.Text(), nullable=True))
        table.add_column(sa.Column("last_notified_at", Time, nullable=True))
    # Alerts firing before this revision had their firing message written.
    op.execute("UPDATE alert_states SET announced = TRUE, last_notified_at = fired_at "
               "WHERE state = 'firing'")


def downgrade() -> None:
    """Drop the routing columns of alert states and the silences table."""
    with op.batch_alter_table("alert_states") as table:
        for column in ("last_notified_at", "muted", "announced", "clear_windows", "reason",
                       "severity"):
            table.drop_column(column)
    op.drop_index(op.f("ix_silences_ends_at"), table_name="silences")
    op.drop_table("silences")
