"""Durations as operators write them in rule files and flags: ``90s``, ``15m``, ``1h``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse ``"1h30m"``-style text into a timedelta.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)

    Raises:
        ValueError: the text is not a sequence of <integer><unit> parts
            with units s, m, h, d or w.
    """
    text = text.strip()
    parts = _PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(
            f"invalid duration '{text}': write a number and a unit (s, m, h, d, w), "
            "for example 30s, 15m, 1h or 1h30m"
        )
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def format_duration(delta: timedelta) -> str:
    """Format a timedelta the way ``parse_duration`` reads it.

    >>> format_duration(timedelta(seconds=5400))
    '1h30m'
    """
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in sorted(_UNITS.items(), key=lambda kv: -kv[1]):
        if unit == "w":
            continue
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
