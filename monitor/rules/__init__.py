"""Rule files: the YAML that steers the monitor, its schema and its ``when:`` language."""

from monitor.rules.expressions import BASE_METRICS, Expression, ExpressionError, parse
from monitor.rules.loader import load_rules, rule_files, validate_paths
from monitor.rules.schema import (
    AlertSpec,
    ColumnDrift,
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
    "ColumnDrift",
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
    "parse",
    "rule_files",
    "validate_paths",
]
