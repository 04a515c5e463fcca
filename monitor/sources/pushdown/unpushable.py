"""The one exception of the push-down: what a database cannot compute as pulled rows are."""

from __future__ import annotations

__all__ = ["Unpushable"]


class Unpushable(Exception):
    """The database cannot compute a check as the rows read in Python would; says why."""
