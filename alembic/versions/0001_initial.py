"""Initial schema: profiles, runs, results, alert states and the outbox.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# BIGINT keys on PostgreSQL; SQLite autoincrements only an INTEGER primary key.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Times are stored in UTC; the application's column type converts on the way.
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the monitor."""
    op.create_table(
        "profiles",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_profiles_name_version")),
    )
    op.create_table(
        "runs",
        sa.Column("id", Id, nullable=False),
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("window_start", Time, nullable=False),
        sa.Column("window_end", Time, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("finished_at", Time, nullable=False),
        sa.Column("duration_seconds", sa.Double(), nullable=False),
        sa.Column("reference_name", sa.String(255), nullable=True),
        sa.Column("reference_version", sa.Integer(), nullable=True),
        sa.Column("reference_rows", sa.BigInteger(), nullable=True),
        sa.Column("current_rows", sa.BigInteger(), nullable=True),
        sa.Column("drift_share", sa.Double(), nullable=True),
        sa.Column("dataset_drift", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "monitor",
            "window_start",
            "window_end",
            name=op.f("uq_runs_monitor_window_start_window_end"),
        ),
        sa.CheckConstraint("status IN ('ok', 'failed', 'no_data')", name=op.f("ck_runs_status")),
    )
    op.create_index(op.f("ix_runs_monitor_window_end"), "runs", ["monitor", "window_end"])
    op.create_table(
        "results",
        sa.Column("id", Id, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("check", sa.String(255), nullable=False),
        sa.Column("column", sa.Text(), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("method", sa.String(64), nullable=True),
        sa.Column("statistic", sa.Double(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("effect_size", sa.Double(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("drifted", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_results_run_id_runs"), ondelete="CASCADE"
        ),
    )
    op.create_index(op.f("ix_results_run_id"), "results", ["run_id"])
    op.create_table(
        "alert_states",
        sa.Column("alert_key", sa.Text(), nullable=False),
        sa.Column("monitor", sa.String(255), nullable=False),
        sa.Column("alert", sa.String(255), nullable=False),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("since", Time, nullable=True),
        sa.Column("fired_at", Time, nullable=True),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("last_window_end", Time, nullable=True),
        sa.Column("updated_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("alert_key", name=op.f("pk_alert_states")),
        sa.CheckConstraint(
            "state IN ('inactive', 'pending', 'firing')", name=op.f("ck_alert_states_state")
        ),
    )
    op.create_index(op.f("ix_alert_states_monitor"), "alert_states", ["monitor"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("notifier", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Time, nullable=False),
        sa.Column("claimed_until", Time, nullable=True),
        sa.Column("delivered_at", Time, nullable=True),
        sa.Column("dead_at", Time, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(op.f("ix_outbox_next_attempt_at"), "outbox", ["next_attempt_at"])


def downgrade() -> None:
    """Drop every table of the monitor."""
    op.drop_table("outbox")
    op.drop_table("alert_states")
    op.drop_table("results")
    op.drop_table("runs")
    op.drop_table("profiles")
