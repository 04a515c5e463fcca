"""Rule files: the YAML that steers the monitor, its schema and its ``when:`` language.

Owns the pydantic schema (``schema``, with the field types in ``fields``,
the drift and quality blocks in ``checks`` and the alert rules in
``alerting``), the located problems and plugin-block checks
(``validation``), the YAML loader with ``path:line:column`` errors
(``loader``, one file in ``document``, within the bounds of ``limits``),
the data files rules name (``datafiles``), the ``when:`` language
(``expressions``, ``expression_parser``, ``expression_tree``), metric names
(``metric_names``), annotation templates (``templates``) and what
``monitor init`` reads off a data sample (``inference``: kinds, roles,
timing and limits, from a pandas sample, no I/O).

It reads files but does no other I/O: it must not import the analysis,
alerts, store, daemon or a database, HTTP or scheduler library (a cron
expression is checked by APScheduler's parser only when one is written). It
validates ``source:`` and ``notifiers:`` blocks against each kind's
``Config``, so it sits above the two plug-point contracts
(``monitor.sources.base``, ``monitor.alerts.notifiers.base``).
"""

from monitor.rules.expressions import BASE_METRICS, Expression, ExpressionError, parse
from monitor.rules.loader import load_rules, load_rules_with_warnings, rule_files, validate_paths
from monitor.rules.schema import (
    AlertSpec,
    ColumnDriftSpec,
    ColumnsSpec,
    DriftSpec,
    Limit,
    MonitorSpec,
    NotifierSpec,
    QualitySpec,
    ReferenceSpec,
    RuleSet,
    Schedule,
    SourceSpec,
    json_schema,
)

__all__ = [
    "BASE_METRICS",
    "AlertSpec",
    "ColumnDriftSpec",
    "ColumnsSpec",
    "DriftSpec",
    "Expression",
    "ExpressionError",
    "Limit",
    "MonitorSpec",
    "NotifierSpec",
    "QualitySpec",
    "ReferenceSpec",
    "RuleSet",
    "Schedule",
    "SourceSpec",
    "json_schema",
    "load_rules",
    "load_rules_with_warnings",
    "parse",
    "rule_files",
    "validate_paths",
]
