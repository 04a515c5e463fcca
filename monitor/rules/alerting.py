"""Alert rules of a monitor: conditions, how long they must hold, what to say, whom to tell.

An alert rule has one ``when:`` condition at its ``severity``, or ``levels:``
with a condition per severity (``warning: drift_share > 0.2``, ``critical:
drift_share > 0.4``): each level is an alert instance of its own, and a
firing higher level inhibits the lower ones. ``for``, ``keep_firing_for``
and ``repeat_every`` take a number of windows (at most ``MAX_WINDOWS``) or a
duration (at most ``MAX_DURATION``, rounded up to whole windows). ``labels``
identify the alert, ``annotations`` describe it; both are templates
(``monitor.rules.templates``).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from monitor.rules.expressions import BASE_METRICS, Expression, ExpressionError
from monitor.rules.expressions import parse as parse_expression
from monitor.rules.fields import MAX_DURATION, MAX_WINDOWS, Name, Strict
from monitor.rules.templates import Template, TemplateError, parse_template
from monitor.times import format_duration, parse_duration

__all__ = [
    "RESERVED_LABELS",
    "SEVERITIES",
    "AlertSpec",
    "Levels",
    "Severity",
    "StatePolicy",
    "windows",
]

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
"""Severities from the lowest to the highest."""

StatePolicy = Literal["alert", "keep_state", "ok"]
RESERVED_LABELS = frozenset({"alert", "alertname", "monitor", "segment", "severity"})
"""Labels every alert carries; a rule cannot set them."""

_SHOWN = 40  # characters of a bad value quoted in a message
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_when(text: str) -> str:
    try:
        parse_expression(text, BASE_METRICS)
    except ExpressionError as exc:
        raise PydanticCustomError(
            "expression", "{message}", {"message": exc.message, "offset": exc.offset}
        ) from None
    return text


def _template_check(identity_only: bool) -> AfterValidator:
    def check(text: str) -> str:
        try:
            parse_template(text, identity_only=identity_only)
        except TemplateError as exc:
            raise PydanticCustomError(
                "expression", "{message}", {"message": exc.message, "offset": exc.offset}
            ) from None
        return text

    return AfterValidator(check)


def _windows_or_duration(minimum: int) -> BeforeValidator:
    def parse(value: object) -> int | timedelta:
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_WINDOWS:
            raise ValueError(f"too many windows: at most {MAX_WINDOWS}, or a duration of at "
                             f"most {format_duration(MAX_DURATION)}")
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        if isinstance(value, str) and not value.strip().isdigit():
            duration = parse_duration(value)
            if duration > timedelta(0) or minimum == 0:
                return duration
        if (isinstance(value, timedelta) and timedelta(0) <= value <= MAX_DURATION
                and (value > timedelta(0) or minimum == 0)):
            return value
        shown = repr(value)
        shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "..."
        raise ValueError(
            f"expected a whole number of windows ({minimum} or more) or a duration such as "
            f"2h, got {shown}")

    return BeforeValidator(parse)


def _windows_schema(minimum: int) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": minimum, "maximum": MAX_WINDOWS},
        {"type": "string", "pattern": r"^(\d+[smhdw])+$", "examples": ["2h"]},
    ]})


When = Annotated[str, AfterValidator(_check_when)]
Windows = Annotated[int | timedelta, _windows_or_duration(0), _windows_schema(0)]
PositiveWindows = Annotated[int | timedelta, _windows_or_duration(1), _windows_schema(1)]
LabelTemplate = Annotated[str, _template_check(identity_only=True)]
AnnotationTemplate = Annotated[str, _template_check(identity_only=False)]


def windows(value: int | timedelta, window: timedelta) -> int:
    """A count of windows, or a duration rounded up to whole windows of length ``window``.

    >>> windows(timedelta(minutes=90), timedelta(hours=1)), windows(3, timedelta(hours=1))
    (2, 3)
    """
    if isinstance(value, int):
        return value
    return math.ceil(value / window)


class Levels(Strict):
    """A condition per severity; each level is an alert instance of its own."""

    info: When | None = None
    warning: When | None = None
    critical: When | None = None

    @model_validator(mode="after")
    def _some(self) -> Levels:
        if self.info is None and self.warning is None and self.critical is None:
            raise ValueError("give a condition for at least one level: info, warning, critical")
        return self


class AlertSpec(Strict):
    """An alert rule: conditions held for ``for`` windows, its messages and receivers."""

    name: Name
    when: When | None = Field(
        default=None,
        description="A condition on the run's metrics, such as 'drift_share > 0.3'.")
    levels: Levels | None = Field(
        default=None, description="A condition per severity, instead of 'when' and 'severity'.")
    # Only the alias is read (no populate_by_name), so 'for_' in a file is an unknown key.
    for_: PositiveWindows = Field(
        default=1, alias="for", description="Windows (or a duration) before it fires.")
    keep_firing_for: Windows = Field(
        default=0, description="Windows (or a duration) it keeps firing after the condition "
        "stops holding, so a flapping condition does not resolve and fire again.")
    repeat_every: PositiveWindows | None = Field(
        default=None, description="Remind while still firing, every so many windows or so long.")
    severity: Severity = "warning"
    labels: dict[str, LabelTemplate] = Field(
        default={}, description="Labels that identify the alert; templates of its identity.")
    annotations: dict[str, AnnotationTemplate] = Field(
        default={}, description="Texts describing the alert: templates such as "
        "'{{ value:.0% }} of columns drifted'. 'summary' replaces the generated summary.")
    notify: list[str] = Field(default=[], description="Names of notifiers to tell.")
    segments: list[str] = Field(
        default=[], description="Segment columns to alert on separately, one alert per value.")
    on_no_data: StatePolicy = Field(
        default="keep_state", description="An empty window or one below min_rows: alert, "
        "keep_state or ok.")
    on_error: StatePolicy = Field(
        default="keep_state", description="A failed run: alert, keep_state or ok.")

    @model_validator(mode="after")
    def _one_form(self) -> AlertSpec:
        if (self.when is None) == (self.levels is None):
            raise ValueError("give either 'when' (one condition) or 'levels' (a condition per "
                             "severity)")
        if self.levels is not None and "severity" in self.model_fields_set:
            raise ValueError("with 'levels' the severities are its keys: remove 'severity'")
        for label in self.labels:
            if not _LABEL_NAME.fullmatch(label):
                raise ValueError(f"label name '{label}' is invalid: use letters, digits and '_',"
                                 " not starting with a digit")
            if label in RESERVED_LABELS:
                raise ValueError(f"label '{label}' is set by the monitor itself; reserved "
                                 f"labels: {', '.join(sorted(RESERVED_LABELS))}")
        return self

    @cached_property
    def conditions(self) -> tuple[tuple[Severity, Expression], ...]:
        """The parsed condition of each severity, lowest severity first."""
        if self.when is not None:
            return ((self.severity, parse_expression(self.when, BASE_METRICS)),)
        assert self.levels is not None
        return tuple((level, parse_expression(text, BASE_METRICS))
                     for level in SEVERITIES
                     if (text := getattr(self.levels, level)) is not None)

    @property
    def leveled(self) -> bool:
        """True when the rule has ``levels``: the severity is then part of each instance's key."""
        return self.levels is not None

    @cached_property
    def expression(self) -> Expression:
        """The condition of the highest severity (the only one, for a ``when`` rule)."""
        return self.conditions[-1][1]

    @cached_property
    def label_templates(self) -> dict[str, Template]:
        """The parsed ``labels``."""
        return {k: parse_template(v, identity_only=True) for k, v in self.labels.items()}

    @cached_property
    def annotation_templates(self) -> dict[str, Template]:
        """The parsed ``annotations``."""
        return {k: parse_template(v) for k, v in self.annotations.items()}
