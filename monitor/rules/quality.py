"""The checks operators write in a ``quality:`` block, as pydantic models.

The shape (also that of a ``monitor compare --checks`` file)::

    quality:
      columns:
        age:     {range: {min: 18, max: 100}, missing: {max_share: 0.01}}
        email:   {pattern: {regex: '^[^@ ]+@[^@ ]+$', max_share: 0.001}, sensitive: true}
        loan_id: {unique: {}}
        state:   {allowed: {values: [CA, NY, TX]}}
      conditions:
        - {name: approved_after_applied, condition: "approved >= applied"}
      duplicates: {columns: [loan_id, day]}

Every row check may carry ``max_share`` (of the rows it looks at) or
``max_rows``; without either it allows no failing row. ``monitor.rules.plans``
turns these models into the ``monitor.checks.CheckPlan`` the engines run.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from monitor.checks.plan import FORMATS
from monitor.profiles import KINDS
from monitor.rules.conditions import parse_condition
from monitor.rules.fields import MAX_ROWS, Finite, Name, Share, Strict

__all__ = [
    "AllowedSpec", "ColumnChecksSpec", "ConditionSpec", "DuplicatesSpec", "FormatSpec",
    "LengthSpec", "MissingSpec", "PatternSpec", "QuantileSpec", "RangeSpec", "RowLimit",
    "SchemaSpec", "SqlSpec", "StatisticSpec", "TypeSpec",
]

_SHOWN = 60
Bound = float | str
"""A bound: a number, or an ISO time for a datetime column."""
Value = bool | int | float | str


class RowLimit(Strict):
    """How many failing rows a check allows: ``max_share`` or ``max_rows`` (neither: none)."""

    max_share: Share | None = Field(
        default=None, description="Largest share of failing rows (0 to 1).")
    max_rows: Annotated[int, Field(ge=0, le=MAX_ROWS, strict=True)] | None = Field(
        default=None, description="Largest count of failing rows.")

    @field_validator("max_share", mode="before")
    @classmethod
    def _a_share(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
            raise ValueError(f"max_share is a share between 0 and 1, got {value}; to allow "
                             f"{value} rows write max_rows: {value}")
        return value

    @field_validator("max_rows", mode="before")
    @classmethod
    def _a_count(cls, value: object) -> object:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"max_rows counts rows: write a whole number, got {value}; for a "
                             "share of the rows write max_share")
        return int(value) if isinstance(value, float) else value

    @model_validator(mode="after")
    def _one_limit(self) -> RowLimit:
        if self.max_share is not None and self.max_rows is not None:
            raise ValueError("give max_share or max_rows, not both")
        return self


def _ordered(low: Any, high: Any, what: str) -> None:
    if low is None or high is None:
        return
    try:
        wrong = low > high
    except TypeError:
        raise ValueError(f"{what} min and max must both be numbers or both be times") from None
    if wrong:
        raise ValueError(f"{what} min ({low}) must not be above max ({high})")


def _bound(value: object) -> object:
    """A number stays a number; a time (YAML date or text) must parse as ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat") and not isinstance(value, str):  # a YAML date
        return value.isoformat()
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value[:_SHOWN]}' is neither a number nor an ISO time such as "
                             "2024-01-31 or 2024-01-31T12:00:00Z") from None
    return value


TimeOrNumber = Annotated[Finite | str, BeforeValidator(_bound)]


class MissingSpec(RowLimit):
    """Rows whose value is missing: null, NaN, or one of ``values`` (such as '' or 'N/A')."""

    values: list[Value] = Field(
        default=[], description="Values that count as missing besides null and NaN.")


class RangeSpec(RowLimit):
    """Present values must lie within [min, max] (numbers, or ISO times for a time column)."""

    min: TimeOrNumber | None = None
    max: TimeOrNumber | None = None

    @model_validator(mode="after")
    def _bounded(self) -> RangeSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if isinstance(self.min, str) != isinstance(self.max, str) and None not in (
                self.min, self.max):
            raise ValueError("range min and max must both be numbers or both be times")
        _ordered(self.min, self.max, "range")
        return self


class AllowedSpec(RowLimit):
    """Present values must be one of ``values``."""

    values: list[Value] = Field(min_length=1)


class PatternSpec(RowLimit):
    """Present values, as text, must match ``regex`` (searched: anchor with ^ and $)."""

    regex: str = Field(min_length=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as exc:
            offset = exc.pos if exc.pos is not None else 0
            raise PydanticCustomError(
                "expression", "{message}",
                {"message": f"invalid regular expression: {exc.msg}", "offset": offset},
            ) from None
        return regex


def _format_shorthand(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


class FormatSpec(RowLimit):
    """Present values, as text, must have a named format: email, uuid, iso_date, url, phone."""

    name: str

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in FORMATS:
            raise ValueError(f"unknown format '{name[:_SHOWN]}'; known formats: "
                             f"{', '.join(FORMATS)} (or write a pattern: {{regex: ...}})")
        return name


class LengthSpec(RowLimit):
    """Present values, as text, must have between ``min`` and ``max`` characters."""

    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> LengthSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        _ordered(self.min, self.max, "length")
        return self


class StatisticSpec(Strict):
    """A statistic of the present values must lie within [min, max]."""

    min: Finite | None = None
    max: Finite | None = None

    @model_validator(mode="after")
    def _bounded(self) -> StatisticSpec:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        _ordered(self.min, self.max, "the statistic's")
        return self


class QuantileSpec(StatisticSpec):
    """The ``q`` quantile (0 to 1, linear interpolation) must lie within [min, max]."""

    q: Share


class TypeSpec(RowLimit):
    """Present values must read as ``kind`` (left out: the reference's kind)."""

    kind: str | None = None

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind '{kind[:_SHOWN]}'; kinds: {', '.join(sorted(KINDS))}")
        return kind


class UniqueSpec(RowLimit):
    """Present values beyond the first of each repeated value fail."""


class ColumnChecksSpec(Strict):
    """The checks of one column; ``sensitive: true`` keeps no failing values in results."""

    missing: MissingSpec | None = None
    range: RangeSpec | None = None
    allowed: AllowedSpec | None = None
    pattern: PatternSpec | None = None
    format: Annotated[FormatSpec, BeforeValidator(_format_shorthand)] | None = None
    length: LengthSpec | None = None
    unique: UniqueSpec | None = None
    mean: StatisticSpec | None = None
    stddev: StatisticSpec | None = None
    quantile: QuantileSpec | list[QuantileSpec] | None = None
    type: TypeSpec | None = None
    sensitive: bool = False


class ConditionSpec(RowLimit):
    """A named row-level condition: rows where it is false fail (undefined rows pass)."""

    name: Name
    condition: str = Field(min_length=1)

    @field_validator("condition")
    @classmethod
    def _parses(cls, text: str) -> str:
        parse_condition(text, located=True)
        return text


class DuplicatesSpec(RowLimit):
    """Rows repeating an earlier row's values in ``columns`` fail."""

    columns: list[str] = Field(min_length=1)


class SchemaSpec(Strict):
    """Columns that must be present, whether columns beyond those named may be, and the
    kind each named one must read as (a ``type`` check of that column)."""

    required: list[str] = []
    optional: list[str] = []
    allow_extra: bool = True
    kinds: dict[str, str] = Field(
        default={}, description="Column -> kind its values must read as (numeric, "
        "categorical, boolean, datetime, text).")

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, str]) -> dict[str, str]:
        for name, kind in kinds.items():
            if kind not in KINDS:
                raise ValueError(f"unknown kind '{kind[:_SHOWN]}' for column '{name[:_SHOWN]}'"
                                 f"; kinds: {', '.join(sorted(KINDS))}")
        return kinds


class SqlSpec(RowLimit):
    """A named query against the monitor's SQL source, ``:start``/``:end`` bound to the window.

    ``returns: value``: its one number must lie within [min, max].
    ``returns: rows``: it selects failing rows, limited by ``max_rows`` (none by default).
    """

    name: Name
    query: str = Field(min_length=1)
    returns: Literal["value", "rows"] = "value"
    min: Finite | None = None
    max: Finite | None = None

    @model_validator(mode="after")
    def _limits_fit(self) -> SqlSpec:
        if self.returns == "value":
            if self.min is None and self.max is None:
                raise ValueError("a query that returns a value needs min, max or both")
            if self.max_rows is not None or self.max_share is not None:
                raise ValueError("max_rows and max_share limit a query that returns rows: "
                                 "write 'returns: rows' or use min/max")
            _ordered(self.min, self.max, "the query's")
        elif self.min is not None or self.max is not None:
            raise ValueError("min and max bound a query that returns a value; a query that "
                             "returns rows is limited by max_rows")
        elif self.max_share is not None:
            raise ValueError("a query that returns rows is limited by max_rows, not max_share")
        return self
