"""The ``prediction_log`` table the SQL source tests read, filled with the rows given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def create_prediction_log(url: str, rows: Sequence[dict[str, Any]]) -> None:
    """Create ``prediction_log(id, logged_at, score, state)`` at ``url`` and insert ``rows``."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "prediction_log", meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("state", sa.String(8)),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), list(rows))
    engine.dispose()
