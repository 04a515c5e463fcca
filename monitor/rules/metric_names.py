"""Metric names: what a ``when:`` condition or a template may read from a run.

A run reports flat names. The base names (``drift_share``, ``rows``...) are
fixed; three families are open-ended because their middle part comes from
the data or from the labels:

* ``column.<name>.<stat>``, written ``column("income").psi`` in conditions,
  for every compared column;
* ``prediction.<stat>`` for the prediction column's drift;
* ``performance.<metric>`` when labels exist;
* ``estimated.<metric>`` (and ``.lower``, ``.upper``: its 95 % band) when the
  reference estimates performance; ``estimation_error.<metric>`` (realized −
  estimated on the labelled window) and ``estimation_error.<metric>.outside``
  (1.0 when the realized value fell outside the band) once labels arrive;
* ``verdict``: the retrain verdict (0 ok, 1 watch, 2 retrain), which
  conditions may compare with the words: ``verdict == "retrain"``;
* ``multivariate.<method>.<stat>`` for the multivariate drift methods, and
  ``embedding.<name>.<stat>`` for each embedding (``<stat>`` in
  ``MULTIVARIATE_STATS``);
* ``text.<column>.drifted`` for each text column, and
  ``text.<column>.<test>.<stat>`` for its method (``vocabulary``,
  ``classifier``) and descriptors (``words``...; ``<stat>`` in ``TEXT_STATS``);
* ``quality.<check>.<stat>``, written ``quality("email.pattern").value`` in
  conditions, for every quality check a run made: ``<check>`` is
  ``COLUMN.KIND`` (``age.range``) or a condition's or query's name, and
  ``quality.failed`` counts the checks that failed.

Column names cannot be checked when rules load (the reference is not loaded
yet), statistic, performance metric and method names can, and are.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

from monitor.checks import QualityResult
from monitor.profiles.estimation import ESTIMATED_METRICS

__all__ = [
    "BAND_STATS",
    "BASE_METRICS",
    "COLUMN_STATS",
    "ESTIMATED_METRICS",
    "MULTIVARIATE_STATS",
    "PERFORMANCE_METRICS",
    "QUALITY_STATS",
    "TEXT_STATS",
    "VERDICT_LEVELS",
    "column_metric",
    "metric_problem",
    "quality_metrics",
]

BASE_METRICS: frozenset[str] = frozenset(
    {
        "compared_columns",
        "dataset_drift",
        "drift_share",
        "drifted_columns",
        "extra_columns",
        "failed_quality_checks",
        "missing_columns",
        "quality.failed",
        "reference_rows",
        "rows",
        "verdict",
    }
)
"""Metric names every monitor run reports; ``when:`` may use any of them."""

COLUMN_STATS: frozenset[str] = frozenset(
    {
        "drifted",
        "effect_size",
        "hellinger",
        "jensenshannon",
        "missing_share",
        "p_value",
        "psi",
        "statistic",
        "wasserstein",
    }
)
"""Statistics reported per compared column (``column.<name>.<stat>``) and for the prediction."""

PERFORMANCE_METRICS: frozenset[str] = frozenset(
    {
        "accuracy",
        "calibration_error",
        "f1",
        "log_loss",
        "mae",
        "mape",
        "precision",
        "r2",
        "recall",
        "rmse",
        "roc_auc",
    }
)
"""Model performance metrics reported when labels exist (``performance.<metric>``)."""

MULTIVARIATE_STATS: frozenset[str] = frozenset({"drifted", "p_value", "statistic"})
"""Statistics of a multivariate method (``multivariate.<method>.<stat>``)."""

TEXT_STATS: frozenset[str] = MULTIVARIATE_STATS | {"effect_size"}
"""Statistics of a text column's tests (``text.<column>.<test>.<stat>``)."""

VERDICT_LEVELS: dict[str, float] = {"ok": 0.0, "watch": 1.0, "retrain": 2.0}
"""The retrain verdicts and the number ``verdict`` reports for each."""

_ESTIMATED = frozenset(ESTIMATED_METRICS)

BAND_STATS: frozenset[str] = frozenset({"lower", "upper"})
"""The band of an estimated metric (``estimated.<metric>.lower``)."""

QUALITY_STATS: frozenset[str] = frozenset({"value", "failed", "failing_rows"})
"""What a run reports of each quality check (``quality.<check>.<stat>``): its value (the
failing share, or the measured number), 1.0 when it failed, and its failing rows."""


def column_metric(column: str, stat: str) -> str:
    """The flat name of one column's statistic.

    >>> column_metric("income", "psi")
    'column.income.psi'
    """
    return f"column.{column}.{stat}"


def quality_metrics(results: Iterable[QualityResult]) -> dict[str, float]:
    """The ``quality.<check>.<stat>`` metrics of a run's quality results.

    Results sharing a key (one ``new_category`` result per new category of a
    column) read as their worst: the largest value, failed if any failed, and
    their failing rows added up.
    """
    out: dict[str, float] = {}
    for result in results:
        prefix = f"quality.{result.key}"
        value, failed = out.get(f"{prefix}.value"), out.get(f"{prefix}.failed", 0.0)
        out[f"{prefix}.value"] = result.value if value is None else max(value, result.value)
        out[f"{prefix}.failed"] = max(failed, 0.0 if result.passed else 1.0)
        if result.failing_rows is not None:
            out[f"{prefix}.failing_rows"] = (out.get(f"{prefix}.failing_rows", 0.0)
                                             + result.failing_rows)
    return out


def metric_problem(name: str, known: Collection[str] = BASE_METRICS) -> str | None:
    """Say what is wrong with a metric name, or None when it is a valid one.

    ``known`` lists the plain names accepted; the three families are always
    accepted when their last part is a known statistic or performance metric.
    """
    if name in known:
        return None
    head, _, rest = name.partition(".")
    if head in _NAMED_FAMILIES and rest:
        shown, stats, needs = _NAMED_FAMILIES[head]
        part, _, stat = rest.rpartition(".")
        if not part:
            return f"'{name}' needs {needs}"
        return _family_problem(shown.format(part), stat, stats)
    if head == "prediction" and rest:
        return _family_problem("prediction", rest, COLUMN_STATS)
    if head == "performance" and rest:
        return _family_problem("performance", rest, PERFORMANCE_METRICS)
    if head in ("estimated", "estimation_error") and rest:
        metric, _, stat = rest.partition(".")
        allowed = BAND_STATS if head == "estimated" else frozenset({"outside"})
        problem = _family_problem(head, metric, _ESTIMATED)
        return problem or (_family_problem(f"{head}.{metric}", stat, allowed) if stat else None)
    if head == "multivariate" and rest:
        return _multivariate_problem(rest)
    if name in ("True", "False"):
        return f"unknown metric '{name}': write '{name.lower()}'"
    hint = difflib.get_close_matches(name, sorted(known), n=1)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
    return (f"unknown metric '{name}'{suggestion}; known metrics: {', '.join(sorted(known))}"
            ", column(\"NAME\").STAT, prediction.STAT, performance.METRIC, "
            "estimated.METRIC, multivariate.METHOD.STAT, embedding.NAME.STAT, "
            "quality(\"CHECK\").STAT")


_NAMED_FAMILIES: dict[str, tuple[str, frozenset[str], str]] = {
    "column": ('column("{}")', COLUMN_STATS, 'a column and a statistic: write '
               'column("NAME").STAT, such as column("income").psi'),
    "quality": ('quality("{}")', QUALITY_STATS, 'a check and a statistic: write '
                'quality("COLUMN.CHECK").STAT, such as quality("email.pattern").value'),
    "embedding": ("embedding.{}", MULTIVARIATE_STATS, "an embedding and a statistic, such as "
                  "embedding.text_vec.drifted"),
    "text": ("text.{}", TEXT_STATS, "a text column and a statistic, such as "
             "text.review.drifted or text.review.vocabulary.p_value"),
}
"""The families ``<head>.<name>.<stat>`` whose middle part comes from the data: how a name
is shown, its statistics, and what a name without a middle part lacks."""


def _multivariate_problem(rest: str) -> str | None:
    method, _, stat = rest.partition(".")
    # Imported here: the methods pull in scipy, which only a multivariate name needs.
    from monitor.stats import known_multivariate

    methods = frozenset(known_multivariate())
    if method not in methods:
        hint = difflib.get_close_matches(method, sorted(methods), n=1)
        suggestion = f" (did you mean 'multivariate.{hint[0]}'?)" if hint else ""
        return (f"unknown multivariate method '{method}'{suggestion}; known: "
                f"{', '.join(sorted(methods))}")
    return _family_problem(f"multivariate.{method}", stat, MULTIVARIATE_STATS)


def _family_problem(prefix: str, part: str, allowed: frozenset[str]) -> str | None:
    if part in allowed:
        return None
    kind = "performance metric" if allowed in (PERFORMANCE_METRICS, _ESTIMATED) else "statistic"
    if not part:
        return f"'{prefix}' needs a {kind} after it: one of {', '.join(sorted(allowed))}"
    hint = difflib.get_close_matches(part, sorted(allowed), n=1)
    suggestion = f" (did you mean '{prefix}.{hint[0]}'?)" if hint else ""
    return (f"unknown {kind} '{part}' in '{prefix}.{part}'{suggestion}; "
            f"known: {', '.join(sorted(allowed))}")
