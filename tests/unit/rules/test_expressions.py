"""The ``when:`` language: parsing, evaluation, reported values and errors."""

from __future__ import annotations

import pytest

from monitor.rules.expressions import BASE_METRICS, Expression, ExpressionError, parse

METRICS = {
    "drift_share": 0.42,
    "drifted_columns": 7.0,
    "compared_columns": 16.0,
    "rows": 1200.0,
    "failed_quality_checks": 0.0,
    "dataset_drift": 1.0,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drift_share > 0.3", True),
        ("drift_share < 0.3", False),
        ("drift_share >= 0.42 and drift_share <= 0.42", True),
        ("drift_share == 0.42", True),
        ("drift_share != 0.42", False),
        ("failed_quality_checks > 0 or rows < 500", False),
        ("failed_quality_checks > 0 or rows > 500", True),
        ("not failed_quality_checks > 0", True),
        ("not (drift_share > 0.3)", False),
        ("drifted_columns / compared_columns > 0.4", True),
        ("drifted_columns / compared_columns > 0.5", False),
        ("rows - 200 * 5 == 200", True),
        ("(rows - 200) * 5 == 5000", True),
        ("-rows < 0", True),
        ("+rows > 0", True),
        ("2 * -3 == -6", True),
        ("1 + 2 * 3 == 7", True),
        ("8 / 4 / 2 == 1", True),
        ("1.5e3 > 1000 and .5 < 1", True),
        ("dataset_drift", True),
        ("dataset_drift == true", True),
        ("dataset_drift == false", False),
        ("true and not false", True),
        ("0.4 < drift_share < 0.5", True),
        ("0.5 < drift_share < 0.6", False),
        ("0.1 < drift_share > 0.4", True),
        ("1 < 2 < 3 < 2", False),
        ("not not dataset_drift", True),
        ("failed_quality_checks", False),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not true or true", True),
    ],
)
def test_evaluate(text: str, expected: bool) -> None:
    """Each condition gives the truth value of its arithmetic reading."""
    assert parse(text).evaluate(METRICS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drift_share > 0.3", 0.42),
        ("rows >= 500 and drift_share > 0.3", 1200.0),
        ("not (drift_share > 0.3)", 0.42),
        ("drifted_columns / compared_columns > 0.4", 7.0 / 16.0),
        ("0.1 < drift_share < 0.5", 0.1),
        ("drifted_columns + 1", 8.0),
        ("dataset_drift", 1.0),
        ("not dataset_drift", 0.0),
        ("-drift_share < 0", -0.42),
    ],
)
def test_value_is_left_operand_of_first_comparison(text: str, expected: float) -> None:
    """value() reports the first comparison's left side, else the whole value."""
    assert parse(text).value(METRICS) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "rows / 0 > 1",
        "rows / 0 < 1",
        "not (rows / 0 > 1)",
        "rows / (compared_columns - 16) == 0",
        "rows / 0 > 1 and true",
        "rows / 0",
    ],
)
def test_division_by_zero_is_false(text: str) -> None:
    """A division by zero makes the condition undefined, which does not hold."""
    expression = parse(text)
    assert expression.evaluate(METRICS) is False


def test_division_by_zero_value_is_none() -> None:
    """The value of an undefined left operand is None."""
    assert parse("rows / 0 > 1").value(METRICS) is None


def test_kleene_logic_with_undefined() -> None:
    """An undefined part cannot hide a decisive one: 'or true' holds, 'and false' fails."""
    assert parse("rows / 0 > 1 or drift_share > 0.3").evaluate(METRICS) is True
    assert parse("not (rows / 0 > 1 and drift_share > 0.5)").evaluate(METRICS) is True
    assert parse("not (rows / 0 > 1 and drift_share > 0.3)").evaluate(METRICS) is False


def test_missing_metric_is_undefined() -> None:
    """A metric absent from the run's metrics makes its comparison not hold."""
    expression = parse("drift_share > 0.3")
    assert expression.evaluate({}) is False
    assert parse("not (drift_share > 0.3)").evaluate({}) is False
    assert expression.value({}) is None


def test_nan_is_undefined() -> None:
    """A NaN metric neither satisfies a comparison nor its negation."""
    nan = {"drift_share": float("nan")}
    assert parse("drift_share > 0.3").evaluate(nan) is False
    assert parse("not (drift_share > 0.3)").evaluate(nan) is False
    assert parse("drift_share").value(nan) is None


def test_booleans_in_metrics_count_as_numbers() -> None:
    """A metric given as a bool compares as 1 or 0."""
    assert parse("dataset_drift == 1").evaluate({"dataset_drift": True}) is True
    assert parse("dataset_drift > 0").evaluate({"dataset_drift": False}) is False


def test_names_lists_metrics_used() -> None:
    """names holds every metric the condition reads, and nothing else."""
    expression = parse("drift_share > 0.3 and (rows > 10 or not dataset_drift)")
    assert expression.names == frozenset({"drift_share", "rows", "dataset_drift"})
    assert parse("1 < 2").names == frozenset()


def test_text_and_equality() -> None:
    """An expression keeps its text; equal texts make equal expressions."""
    expression = parse("drift_share > 0.3")
    assert str(expression) == "drift_share > 0.3"
    assert expression == parse("drift_share > 0.3")
    assert expression != parse("drift_share > 0.4")
    assert isinstance(expression, Expression)


def test_dotted_names_when_known() -> None:
    """Dotted metric names parse when the caller lists them as known."""
    expression = parse("performance.roc_auc < 0.7", {"performance.roc_auc"})
    assert expression.names == frozenset({"performance.roc_auc"})
    assert expression.evaluate({"performance.roc_auc": 0.65}) is True


def test_base_metrics() -> None:
    """The base metric set holds the names every run reports."""
    assert {
        "drift_share",
        "drifted_columns",
        "failed_quality_checks",
        "rows",
        "compared_columns",
        "dataset_drift",
        "extra_columns",
        "missing_columns",
        "quality.failed",
        "reference_rows",
        "verdict",
    } == BASE_METRICS


@pytest.mark.parametrize(
    ("text", "offset", "fragment"),
    [
        ("", 0, "empty condition"),
        ("   ", 0, "empty condition"),
        ("drift_share >", 13, "ends too early"),
        ("drift_share > 0.3 and", 21, "ends too early"),
        ("drift_share = 0.3", 12, "write '=='"),
        ("drift_share > 0.3 && rows > 1", 18, "write 'and'"),
        ("drift_share > 0.3 || rows > 1", 18, "write 'or'"),
        ("!dataset_drift", 0, "write 'not'"),
        ("(drift_share > 0.3", 18, "')' to close the '(' at character 1"),
        ("drift_share > 0.3)", 17, "unexpected ')'"),
        ("drift_share 0.3", 12, "unexpected '0.3'"),
        ("drift_share ** 2", 13, "unexpected '*'"),
        ("rows % 2 == 0", 5, "unexpected '%'"),
        ("'text' == rows", 0, "text in quotes is only allowed as a column name"),
        ("rows > 1 > ", 10, "ends too early"),
        ("and rows", 0, "unexpected 'and'"),
        ("rows >= >= 1", 8, "unexpected '>='"),
        ("__import__('os')", 0, "calls such as '__import__(...)'"),
        ("column(income).psi > 0.2", 7, "a column name in quotes"),
        ("column(\"income).psi > 0.2", 7, "a column name in quotes"),
        ("column(\"\").psi > 0.2", 7, "the column name is empty"),
        ("column(\"income\") > 0.2", 17, "'.' and a statistic"),
        ("column(\"income\").pis > 0.2", 17, "(did you mean 'column(\"income\").psi'?)"),
        ("performance.auc < 0.7", 0, "(did you mean 'performance.roc_auc'?)"),
        ("prediction.mean > 1", 0, "unknown statistic 'mean'"),
        ("column.psi > 1", 0, "needs a column and a statistic"),
        ("drift_share.x > 1", 0, "unknown metric 'drift_share.x'"),
        ("rows.", 4, "unexpected '.'"),
    ],
)
def test_syntax_errors(text: str, offset: int, fragment: str) -> None:
    """Syntax errors name the problem and its 0-based character offset."""
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert fragment in caught.value.message
    assert caught.value.offset == offset


def test_unknown_metric_suggests_and_lists() -> None:
    """An unknown metric suggests the closest name and lists the known ones."""
    with pytest.raises(ExpressionError) as caught:
        parse("rows > 1 and drift_shar > 0.3")
    assert caught.value.offset == 13
    assert caught.value.message == (
        "unknown metric 'drift_shar' (did you mean 'drift_share'?); known metrics: "
        "compared_columns, dataset_drift, drift_share, drifted_columns, extra_columns, "
        "failed_quality_checks, missing_columns, quality.failed, reference_rows, rows, "
        'verdict, column("NAME").STAT, prediction.STAT, performance.METRIC, estimated.METRIC, '
        'multivariate.METHOD.STAT, embedding.NAME.STAT, quality("CHECK").STAT'
    )


def test_unknown_metric_against_given_names() -> None:
    """Only the names passed in are known."""
    with pytest.raises(ExpressionError, match="unknown metric 'rows'"):
        parse("rows > 1", {"drift_share"})


def test_capitalized_booleans_get_a_hint() -> None:
    """Python-style True/False point to the lower-case keywords."""
    with pytest.raises(ExpressionError, match="write 'true'"):
        parse("dataset_drift == True")


def test_error_text_shows_position() -> None:
    """str() of an error gives the 1-based character position."""
    with pytest.raises(ExpressionError) as caught:
        parse("rows >")
    assert str(caught.value).endswith("(at character 7)")


def test_deep_nesting_is_rejected() -> None:
    """A deeply nested condition is an error, not a stack overflow."""
    with pytest.raises(ExpressionError, match="nests deeper than 64"):
        parse("(" * 100 + "rows" + ")" * 100)
    with pytest.raises(ExpressionError, match="nests deeper than 64"):
        parse("not " * 100 + "rows")
    assert parse("(" * 30 + "rows > 1" + ")" * 30).evaluate(METRICS) is True


def test_overlong_condition_is_rejected() -> None:
    """A condition of more than 256 tokens is an error."""
    with pytest.raises(ExpressionError, match="too long"):
        parse(" + ".join(["rows"] * 200) + " > 0")
    assert parse(" + ".join(["rows"] * 100) + " > 0").evaluate(METRICS) is True
