"""The ``quality:`` checks operators write: their models, their plan, and located errors.

A checks file is read like a rule file: every problem comes back as
``path:line:column`` pointing at the offending key or character.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.checks import FORMATS, Column, Compare, Literal, Logic, Tolerance
from monitor.errors import ExpressionError, RulesInvalid
from monitor.rules.checkfile import load_checks
from monitor.rules.conditions import parse_condition
from monitor.rules.expressions import BASE_METRICS, parse

CONTRACT = """\
quality:
  columns:
    age:     {range: {min: 18, max: 100}, missing: {max_share: 0.01}}
    email:   {pattern: {regex: '^[^@ ]+@[^@ ]+$', max_share: 0.001}}
    loan_id: {unique: {}}
    state:   {allowed: {values: [CA, NY, TX]}}
  conditions:
    - {name: approved_after_applied, condition: "approved >= applied"}
  duplicates: {columns: [loan_id, day]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def errors(path: Path, **options: object) -> list[str]:
    with pytest.raises(RulesInvalid) as caught:
        load_checks(path, {}, **options)  # type: ignore[arg-type]
    return [str(e) for e in caught.value.errors]


def test_the_documented_shape_becomes_a_plan(tmp_path: Path) -> None:
    plan = load_checks(write(tmp_path, CONTRACT), {})
    kinds = [(c.column, c.kind) for c in plan.columns]
    assert kinds == [("age", "missing"), ("age", "range"), ("email", "pattern"),
                     ("loan_id", "unique"), ("state", "allowed")]
    age_range = plan.columns[1]
    assert (age_range.minimum, age_range.maximum) == (18, 100)
    assert age_range.tolerance == Tolerance()  # no limit given: no failing row allowed
    assert plan.columns[0].tolerance == Tolerance(max_share=0.01)
    assert plan.columns[4].values == ("CA", "NY", "TX")
    (condition,) = plan.conditions
    assert condition.name == "approved_after_applied"
    assert condition.expression == Compare((Column("approved"), Column("applied")), (">=",))
    assert [d.columns for d in plan.duplicates] == [("loan_id", "day")]
    assert plan.samples and not plan.sensitive


def test_every_column_check_kind_and_its_options(tmp_path: Path) -> None:
    plan = load_checks(write(tmp_path, """\
        quality:
          columns:
            code:  {missing: {values: ['', N/A, -1], max_rows: 3}, length: {min: 2, max: 4}}
            mail:  {format: email, sensitive: true}
            id:    {format: {name: uuid, max_share: 0.5}, type: {kind: categorical}}
            x:     {mean: {min: 0}, stddev: {max: 2}, quantile: [{q: 0.5, min: -1, max: 1},
                                                              {q: 0.99, max: 5}]}
            day:   {range: {min: 2024-01-01, max: '2024-12-31T23:59:59Z'}}
          samples: false
        """), {})
    by = {(c.column, c.kind, c.quantile): c for c in plan.columns}
    assert plan.missing_values == {"code": ("", "N/A", -1)}
    assert by[("code", "missing", None)].tolerance == Tolerance(max_rows=3)
    assert (by[("code", "length", None)].minimum, by[("code", "length", None)].maximum) == (2, 4)
    assert by[("mail", "format", None)].regex == FORMATS["email"]
    assert by[("id", "format", None)].tolerance == Tolerance(max_share=0.5)
    assert by[("id", "type", None)].kind_of == "categorical"
    assert by[("x", "quantile", 0.99)].maximum == 5
    assert by[("day", "range", None)].minimum == "2024-01-01"
    assert plan.sensitive == {"mail"} and not plan.samples
    assert not plan.keeps_samples("code")


@pytest.mark.parametrize(("block", "where", "words"), [
    ("columns: {a: {pattern: {regex: 'ab(['}}}", (3, 38), "invalid regular expression"),
    ("columns: {a: {missing: {max_share: 5}}}", (3, 38), "to allow 5 rows write max_rows"),
    ("columns: {a: {unique: {max_rows: 0.5}}}", (3, 36), "max_rows counts rows"),
    ("columns: {a: {unique: {max_rows: 2, max_share: 0.1}}}", (3, 25), "not both"),
    ("columns: {a: {mean: {min: 1, max_share: 0.1}}}", (3, 32), "unknown key 'max_share'"),
    ("columns: {a: {range: {min: 5, max: 1}}}", (3, 24), "must not be above max"),
    ("columns: {a: {range: {min: soon}}}", (3, 30), "neither a number nor an ISO time"),
    ("columns: {a: {format: zipcode}}", (3, 25), "unknown format 'zipcode'"),
    ("columns: {a: {typo: {}}}", (3, 17), "unknown key 'typo'"),
    ("conditions: [{name: c, condition: 'a >= '}]", (3, 42), "ends too early"),
    ("conditions: [{name: c, condition: 'a => b'}]", (3, 41), "unexpected '>'"),
])
def test_bad_checks_are_located(tmp_path: Path, block: str, where: tuple[int, int],
                                words: str) -> None:
    path = write(tmp_path, f"# checks\nquality:\n  {block}\n")
    (message,) = errors(path)
    line, column = where
    assert message.startswith(f"{path}:{line}:{column}: "), message
    assert words in message


def test_unknown_columns_are_located_when_the_data_is_known(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT)
    found = errors(path, columns=["age", "email", "loan_id", "state", "approved", "day"])
    assert len(found) == 1
    assert found[0].startswith(f"{path}:8:")
    assert "condition 'approved_after_applied' reads 'applied', not in the data" in found[0]
    found = errors(path, columns=["email", "loan_id", "state", "approved", "applied"])
    assert any(f"{path}:3:5: column 'age' is not in the data" in e for e in found)
    assert any("duplicates reads 'day'" in e for e in found)


def test_sql_checks_and_empty_files_are_refused_in_a_checks_file(tmp_path: Path) -> None:
    (message,) = errors(write(tmp_path, """\
        quality:
          sql: [{name: n, query: 'select 1', max: 1}]
        """))
    assert "sql checks run against a monitor's SQL source" in message
    (message,) = errors(write(tmp_path, "# nothing\n"))
    assert "empty checks file" in message


def test_schema_kinds_are_type_checks(tmp_path: Path) -> None:
    plan = load_checks(write(tmp_path, """\
        quality:
          schema: {required: [a], allow_extra: false, kinds: {a: numeric, b: datetime}}
        """), {}, known=("ts",))
    assert plan.schema is not None and plan.schema.optional == ("ts",)
    assert [(c.kind, c.column, c.kind_of) for c in plan.columns] == [
        ("type", "a", "numeric"), ("type", "b", "datetime")]
    (message,) = errors(write(tmp_path, "quality:\n  schema: {kinds: {a: number}}\n"))
    assert "unknown kind 'number' for column 'a'" in message


def test_repeated_condition_names_are_refused(tmp_path: Path) -> None:
    (message,) = errors(write(tmp_path, """\
        quality:
          conditions: [{name: c, condition: a > 0}, {name: c, condition: b > 0}]
        """))
    assert "repeated: c" in message


def test_conditions_read_columns_text_and_sql_equality() -> None:
    tree = parse_condition("amount > 0 or status = 'void'")
    assert tree == Logic("or", (Compare((Column("amount"), Literal(0.0)), (">",)),
                                Compare((Column("status"), Literal("void")), ("==",))))
    assert parse_condition('column("first name") != ""').columns() == {"first name"}
    assert parse_condition("0 < a / b <= 1 and not flag").columns() == {"a", "b", "flag"}
    for bad, words in [("f(x) > 1", "not supported"), ("a.b > 1", "not a column"),
                       ("a ==", "ends too early")]:
        with pytest.raises(ExpressionError, match=words):
            parse_condition(bad)


def test_alert_conditions_read_quality_checks() -> None:
    expression = parse('quality("email.pattern").value > 0.01 or quality.failed > 2',
                       BASE_METRICS)
    assert expression.names == {"quality.email.pattern.value", "quality.failed"}
    assert expression.evaluate({"quality.email.pattern.value": 0.02, "quality.failed": 0})
    assert not expression.evaluate({"quality.email.pattern.value": 0.0, "quality.failed": 1})
    with pytest.raises(ExpressionError, match="known: failed, failing_rows, value"):
        parse('quality("x").bogus > 1', BASE_METRICS)
    with pytest.raises(ExpressionError, match=r'quality\("COLUMN.CHECK"\).STAT'):
        parse("quality.email > 1", BASE_METRICS)
