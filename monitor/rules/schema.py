"""Rule-file schema: the monitors and notifiers operators declare, as pydantic models.

Every model forbids unknown keys, so a misspelt key is an error rather than a
setting silently ignored. Plugin blocks (a monitor's ``source:`` and each entry
under ``notifiers:``) are checked in two phases: first the block must name a
``type``; then the whole block is validated against that kind's own ``Config``
model, found through the plugin registry.

``validate_file`` runs both phases over one parsed rule file and returns every
``Problem`` with its location inside the document (``validation``); the
loader turns those locations into ``path:line:column``. This module reads no
files, clock or environment.
"""

from __future__ import annotations

import typing
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from monitor.alerts.notifiers.base import NotifierConfig
from monitor.errors import MonitorError
from monitor.rules.alerting import AlertSpec
from monitor.rules.checks import (
    ColumnDriftSpec,
    ColumnsSpec,
    DriftSpec,
    Limit,
    PerformanceSpec,
    QualitySpec,
)
from monitor.rules.fields import Duration, Name, PositiveDuration, Strict
from monitor.rules.retrain import RetrainSpec
from monitor.rules.validation import Loc, PluginLookup, Problem, plugin_block, problems_of
from monitor.sources.base import SourceConfig

__all__ = [
    "MAX_VERSION",
    "AlertSpec",
    "ColumnDriftSpec",
    "ColumnsSpec",
    "DriftSpec",
    "LabelsSpec",
    "Limit",
    "MonitorSpec",
    "NotifierSpec",
    "QualitySpec",
    "ReferenceSpec",
    "RuleFile",
    "RuleSet",
    "Schedule",
    "SourceSpec",
    "json_schema",
    "validate_file",
]

_INLINE = Path("<inline>")
MAX_VERSION = 2**31 - 1
"""The largest profile version: the database stores versions as 32-bit integers."""


def _open_block(kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"'type' names the {kind} kind; the other keys are that kind's settings.",
        "properties": {"type": {"type": "string"}},
        "required": ["type"],
        "additionalProperties": True,
    }


class Schedule(Strict):
    """When a monitor runs: ``{every: 15m}`` or ``{cron: "*/15 * * * *"}`` (UTC)."""

    every: PositiveDuration | None = None
    cron: str | None = None

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, expr: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(expr, timezone="UTC")
        except ValueError as exc:
            shown = expr if len(expr) <= 60 else expr[:60] + "..."
            raise ValueError(
                f"invalid cron expression '{shown}': {exc}; write five fields "
                "(minute hour day month weekday), such as '*/15 * * * *'"
            ) from None
        return expr

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of 'every' (such as 15m) or 'cron'")
        return self


class SourceSpec(Strict):
    """A monitor's data source: its kind and the kind's validated ``Config``."""

    type: str
    config: SerializeAsAny[SourceConfig]


class ReferenceSpec(Strict):
    """The reference a monitor compares against: a stored profile or a data file."""

    profile: str | None = None
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    path: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReferenceSpec:
        if (self.profile is None) == (self.path is None):
            raise ValueError("give exactly one of 'profile' (a stored profile) or 'path'")
        if self.version is not None and self.profile is None:
            raise ValueError("'version' applies to a stored 'profile' only")
        return self


def _resolve_block(kind: Literal["source", "notifier"]) -> Any:
    """Validate a plugin block given as a plain mapping (models built in code)."""

    def resolve(value: object) -> object:
        if not isinstance(value, dict):
            return value
        config, problems = plugin_block(kind, value, ())
        if problems:
            where = ".".join(str(p) for p in problems[0].loc)
            raise ValueError(f"{where}: {problems[0].message}" if where else problems[0].message)
        return config if kind == "notifier" else SourceSpec(type=config.type, config=config)

    return BeforeValidator(resolve)


class _Located(Strict):
    _origin: Path = PrivateAttr(default=_INLINE)

    @property
    def origin(self) -> Path:
        """The rule file this came from (``<inline>`` when built in code)."""
        return self._origin

    def with_origin(self, path: Path) -> typing.Self:
        """A copy that remembers the rule file it came from."""
        copy = self.model_copy()
        copy._origin = path
        return copy


class LabelsSpec(Strict):
    """Labels that arrive later than the predictions, in a source of their own.

    A run also measures the model on the window that ended ``delay`` before
    its own: its predictions joined on ``id`` with the labels that arrived
    since (see "Model performance" in the README).
    """

    source: Annotated[SourceSpec, _resolve_block("source"), WithJsonSchema(_open_block("source"))]
    id: str = Field(description="The column joining a label to its prediction, on both sides.")
    target: str = Field(description="The label column in the label source.")
    delay: PositiveDuration = Field(description="How long labels take to arrive, such as 2d.")


class MonitorSpec(_Located):
    """One monitor: what data to read, when, what to compare it with, when to alert."""

    name: Name
    schedule: Schedule
    window: PositiveDuration = Field(description="How much data each run looks at, such as 1h.")
    delay: Duration = Field(
        default=timedelta(0),
        description="How long to wait for late rows before a window is complete.",
        json_schema_extra={"default": "0s"},
    )
    source: Annotated[SourceSpec, _resolve_block("source"), WithJsonSchema(_open_block("source"))]
    reference: ReferenceSpec
    columns: ColumnsSpec = ColumnsSpec()
    segments: list[str] = Field(default=[], description="Columns to slice the checks by.")
    drift: DriftSpec = DriftSpec()
    quality: QualitySpec = QualitySpec()
    labels: LabelsSpec | None = None
    performance: PerformanceSpec = PerformanceSpec()
    retrain: RetrainSpec = RetrainSpec()
    alerts: list[AlertSpec] = []

    @model_validator(mode="after")
    def _labels_need_a_prediction(self) -> MonitorSpec:
        if self.labels is not None and not self.columns.prediction:
            raise ValueError("'labels' measures the model's predictions: name the prediction "
                             "column in 'columns.prediction'")
        return self

    @model_validator(mode="after")
    def _estimates_need_their_columns(self) -> MonitorSpec:
        wanted = self.performance.estimate
        columns = self.columns
        if not wanted:
            return self
        if not columns.target:
            raise ValueError("'performance.estimate' learns from the reference's labels: name "
                             "the label column in 'columns.target'")
        regression = [m for m in wanted if m in ("mae", "rmse")]
        if regression and len(regression) < len(wanted):
            raise ValueError(f"'performance.estimate' mixes regression metrics {regression} "
                             "with classification ones: a model has one task")
        if regression and (columns.score or not columns.prediction):
            raise ValueError("estimating mae or rmse (DLE) needs 'columns.prediction' and no "
                             "'columns.score'")
        if not regression and not columns.score:
            raise ValueError(f"estimating {wanted} (CBPE) needs the classifier's score in "
                             "'columns.score'")
        return self

    @model_validator(mode="after")
    def _sql_checks_need_sql(self) -> MonitorSpec:
        if self.quality.sql and self.source.type != "sql":
            raise ValueError(f"quality.sql runs queries against a SQL source, but this monitor "
                             f"reads a '{self.source.type}' source: write the check as a "
                             "column check or a condition, or read the data with type: sql")
        return self

    @model_validator(mode="after")
    def _alert_segments(self) -> MonitorSpec:
        segments = set(self.segments)
        for alert in self.alerts:
            unknown = [column for column in alert.segments if column not in segments]
            if unknown:
                raise ValueError(
                    f"alert '{alert.name}' alerts per segment of {unknown}, which the monitor "
                    f"does not segment by: add them to the monitor's 'segments' "
                    f"(now {self.segments})")
        return self

    def resolve_path(self, path: str | Path) -> Path:
        """A path from the rules, relative ones taken from the rule file's folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.origin.parent / path


class NotifierSpec(_Located):
    """One named notifier: its kind and the kind's validated ``Config``."""

    name: Name
    type: str
    config: SerializeAsAny[NotifierConfig]


_NotifierBlock = Annotated[
    SerializeAsAny[NotifierConfig],
    _resolve_block("notifier"),
    WithJsonSchema(_open_block("notifier")),
]


class RuleFile(Strict):
    """One rule file as written: named notifiers and a list of monitors."""

    model_config = ConfigDict(title="monitor rule file")

    notifiers: dict[Name, _NotifierBlock] = {}
    monitors: list[MonitorSpec] = []


class RuleSet(Strict):
    """The merged rules of all files; names are unique across them."""

    notifiers: dict[str, NotifierSpec] = {}
    monitors: list[MonitorSpec] = []

    def monitor(self, name: str) -> MonitorSpec:
        """The monitor called ``name``; KeyError when there is none."""
        for spec in self.monitors:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def select(self, name: str | None) -> list[MonitorSpec]:
        """The monitors a command runs: all of them, or the one called ``name``.

        Raises:
            MonitorError: there is no monitor at all, or none called ``name``.
        """
        if name is None:
            if not self.monitors:
                raise MonitorError("the rule files define no monitors")
            return list(self.monitors)
        try:
            return [self.monitor(name)]
        except KeyError:
            known = ", ".join(m.name for m in self.monitors) or "none"
            raise MonitorError(
                f"no monitor named '{name}' in the rules (known: {known})") from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, published for editors (plugin blocks stay open)."""
    schema = RuleFile.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def validate_file(data: object) -> tuple[RuleFile | None, list[Problem]]:
    """Validate one parsed rule file; return the model (None if invalid) and all problems."""
    if not isinstance(data, dict):
        message = "a rule file is a mapping with 'monitors:' and/or 'notifiers:' keys"
        return None, [Problem((), message, quote=True)]
    problems: list[Problem] = []
    lookup = PluginLookup()
    data = dict(data)
    if isinstance(data.get("notifiers"), dict):
        data["notifiers"] = {
            name: _resolved(problems, lookup, "notifier", block, ("notifiers", name))
            for name, block in data["notifiers"].items()
        }
    if isinstance(data.get("monitors"), list):
        data["monitors"] = [
            _resolved_sources(problems, lookup, item, ("monitors", i))
            for i, item in enumerate(data["monitors"])
        ]
    try:
        rule_file = RuleFile.model_validate(data)
    except ValidationError as exc:
        return None, problems + problems_of(exc, RuleFile, ())
    return (None, problems) if problems else (rule_file, [])


def _resolved_sources(
    problems: list[Problem], lookup: PluginLookup, item: object, loc: Loc
) -> object:
    """A monitor with its ``source`` and ``labels.source`` blocks through phase two."""
    if not isinstance(item, dict):
        return item
    item = dict(item)
    if "source" in item:
        item["source"] = _resolved(problems, lookup, "source", item["source"], (*loc, "source"))
    labels = item.get("labels")
    if isinstance(labels, dict) and "source" in labels:
        block = _resolved(problems, lookup, "source", labels["source"], (*loc, "labels", "source"))
        item["labels"] = {**labels, "source": block}
    return item


def _resolved(
    problems: list[Problem],
    lookup: PluginLookup,
    kind: Literal["source", "notifier"],
    block: object,
    loc: Loc,
) -> object:
    """Phase two for one plugin block; a stand-in keeps the rest of the file checkable."""
    config, found = plugin_block(kind, block, loc, lookup)
    problems.extend(found)
    if config is None:
        config = (SourceConfig if kind == "source" else NotifierConfig).model_construct(type="")
    return config if kind == "notifier" else SourceSpec(type=config.type, config=config)
