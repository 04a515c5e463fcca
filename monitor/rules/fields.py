"""Field types shared by the rule-file models: names, durations, counts, shares, method names.

Every number and duration a rule file holds is range-checked here, so a
value the monitor cannot work with (a negative count, an infinite threshold,
a delay of a million years) is an error when rules load, never a crash later:

- durations: ``0s`` to ``MAX_DURATION`` (3650d), whole seconds; a window,
  a schedule interval, a labels delay and a staleness bound at least ``1s``;
- counts of rows: whole numbers from 0 to ``MAX_ROWS`` (10^12);
- counts of windows: whole numbers up to ``MAX_WINDOWS`` (100,000);
- shares: from 0 to 1;
- thresholds, effect sizes and ratios: finite numbers (no ``.inf`` or ``.nan``).
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from monitor.times import MAX_DURATION, format_duration, parse_duration

__all__ = [
    "MAX_DURATION",
    "MAX_ROWS",
    "MAX_WINDOWS",
    "NAME_PATTERN",
    "Duration",
    "Finite",
    "Method",
    "Name",
    "PositiveDuration",
    "Rows",
    "Share",
    "Strict",
    "check_name",
]

MAX_ROWS = 10**12
"""The largest count of rows a rule may name: more than any window holds."""

MAX_WINDOWS = 100_000
"""The largest count of windows a rule may name (over eleven years of hourly windows)."""

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
_SHOWN = 40  # characters of a bad value quoted in a message


def check_name(name: str) -> str:
    """``name`` when it can name a monitor, alert or notifier; ValueError saying why not."""
    if not NAME_PATTERN.fullmatch(name):
        shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "..."
        raise ValueError(f"invalid name '{shown}': use only letters, digits, '-', '_' and '.'")
    if name in (".", ".."):
        # A browser folds these path segments away, so the console could not link to them.
        raise ValueError(f"invalid name '{name}': a name must hold a letter, digit, '-' or '_'")
    return name


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        shown = repr(value)
        shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "..."
        raise ValueError(f"invalid duration {shown}: write a number and a unit, such as 15m")
    return parse_duration(value)


def _in_range(delta: timedelta) -> timedelta:
    # Text is checked by parse_duration; this catches timedeltas built in code.
    if delta < timedelta(0) or delta > MAX_DURATION or delta.microseconds:
        raise ValueError(f"the duration must be whole seconds from 0s to "
                         f"{format_duration(MAX_DURATION)}, got {delta}")
    return delta


def _positive(delta: timedelta) -> timedelta:
    if delta <= timedelta(0):
        raise ValueError("the duration must be longer than 0s")
    return delta


def _check_method(name: str) -> str:
    # Imported here: the statistics pull in scipy, which only a method name needs.
    from monitor.stats.registry import known_methods

    known = known_methods()
    if name not in known:
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ValueError(
            f"unknown drift method '{name}'{suggestion}; known methods: {', '.join(sorted(known))}"
        )
    return name


Name = Annotated[
    str,
    AfterValidator(check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN.pattern}),
]
_DURATION_SCHEMA = {
    "type": "string",
    "pattern": r"^(\d+[smhdw])+$",
    "description": f"A duration such as 15m or 1h30m, at most {format_duration(MAX_DURATION)}.",
    "examples": ["15m", "1h"],
}
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    AfterValidator(_in_range),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(_DURATION_SCHEMA),
]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Rows = Annotated[int, Field(ge=0, le=MAX_ROWS)]
Method = Annotated[str, AfterValidator(_check_method)]


class Strict(BaseModel):
    """Base of every rule model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
