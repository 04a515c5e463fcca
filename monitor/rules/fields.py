"""Field types shared by the rule-file models: names, durations, shares, method names."""

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

from monitor.times import format_duration, parse_duration

__all__ = ["NAME_PATTERN", "Duration", "Method", "Name", "PositiveDuration", "Share", "Strict"]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")


def _check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid name '{name}': use only letters, digits, '-', '_' and '.'")
    return name


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write a number and a unit, such as 15m")
    return parse_duration(value)


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
    AfterValidator(_check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN.pattern}),
]
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+[smhdw])+$", "examples": ["15m", "1h"]}),
]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
Share = Annotated[float, Field(ge=0, le=1)]
Method = Annotated[str, AfterValidator(_check_method)]


class Strict(BaseModel):
    """Base of every rule model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
