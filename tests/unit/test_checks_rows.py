"""Row conditions over a frame: comparisons, arithmetic, and SQL's three-valued logic.

Expected masks come from numpy expressions or from a plain row-by-row
evaluator written here with ``None`` for undefined.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.checks.plan import Arithmetic, Column, Compare, Literal, Logic, Not
from monitor.checks.rows import condition_columns, failing_mask
from monitor.checks.values import ChunkColumns
from monitor.errors import ProfileError

Truth = bool | None
TRUTHS: list[Truth] = [True, False, None]


def kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def kleene_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def fails(truth: list[bool | None]) -> list[bool]:
    """A row fails only where the condition is defined and false."""
    return [t is False for t in truth]


def truth_frame() -> pd.DataFrame:
    pairs = [(a, b) for a in TRUTHS for b in TRUTHS]
    return pd.DataFrame({"a": pd.array([p[0] for p in pairs], dtype="boolean"),
                         "b": pd.array([p[1] for p in pairs], dtype="boolean")})


@pytest.mark.parametrize(("op", "rule"), [("and", kleene_and), ("or", kleene_or)])
def test_logic_follows_kleene(op: str, rule: Callable[[Truth, Truth], Truth]) -> None:
    frame = truth_frame()
    expected = [rule(None if pd.isna(a) else bool(a), None if pd.isna(b) else bool(b))
                for a, b in zip(frame["a"], frame["b"], strict=True)]
    mask = failing_mask(Logic(op, (Column("a"), Column("b"))), frame, {})
    assert mask.tolist() == fails(expected)


def test_not_keeps_undefined() -> None:
    frame = pd.DataFrame({"a": pd.array([True, False, None], dtype="boolean")})
    assert failing_mask(Not(Column("a")), frame, {}).tolist() == [True, False, False]


def test_comparison_with_a_null_operand_passes() -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan, 5.0], "y": [2.0, 1.0, np.nan]})
    mask = failing_mask(Compare((Column("x"), Column("y")), ("<",)), frame, {})
    assert mask.tolist() == [False, False, False]
    mask = failing_mask(Compare((Column("x"), Column("y")), (">",)), frame, {})
    assert mask.tolist() == [True, False, False]


def test_chained_comparison_is_a_conjunction() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({c: rng.integers(0, 5, 500).astype(float) for c in "abc"})
    frame.loc[rng.random(500) < 0.2, "b"] = np.nan
    a, b, c = (frame[name].to_numpy() for name in "abc")
    node = Compare((Column("a"), Column("b"), Column("c")), ("<", "<="))
    # Defined and false: some defined pair is false (a null b leaves both pairs undefined).
    expected = ~np.isnan(b) & ~((a < b) & (b <= c))
    assert failing_mask(node, frame, {}).tolist() == expected.tolist()


def test_chain_with_one_pair_false_fails_although_the_other_is_undefined() -> None:
    frame = pd.DataFrame({"a": [5.0, 5.0], "b": [1.0, 1.0], "c": [np.nan, 9.0]})
    node = Compare((Column("a"), Column("b"), Column("c")), ("<", "<"))
    assert failing_mask(node, frame, {}).tolist() == [True, True]


def test_numbers_compare_with_literals_and_arithmetic() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"amount": rng.normal(100, 30, 1000), "n": rng.integers(0, 4, 1000)})
    node = Compare((Arithmetic("/", Column("amount"), Column("n")), Literal(40)), ("<=",))
    amount, n = frame["amount"].to_numpy(), frame["n"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (n != 0) & ~(amount / n <= 40)
    mask = failing_mask(node, frame, {})
    assert mask.tolist() == expected.tolist()
    assert not mask[n == 0].any()  # a division by zero is undefined: those rows pass


def test_text_equality_and_order() -> None:
    frame = pd.DataFrame({"status": ["open", "closed", None, "late"]})
    equal = Compare((Column("status"), Literal("open")), ("==",))
    assert failing_mask(equal, frame, {}).tolist() == [False, True, False, True]
    before = Compare((Column("status"), Literal("m")), ("<",))
    assert failing_mask(before, frame, {}).tolist() == [True, False, False, False]


def test_datetime_columns_compare_as_times() -> None:
    frame = pd.DataFrame({
        "applied": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", None]),
        "approved": ["2024-01-02", "2024-01-15T10:00:00+02:00", None, "2024-01-01"],
    })
    node = Compare((Column("approved"), Column("applied")), (">=",))
    kinds = {"approved": "datetime", "applied": "datetime"}
    assert failing_mask(node, frame, kinds).tolist() == [False, True, False, False]
    # Without kinds the text column is text, read as times against a time column.
    assert failing_mask(node, frame, {}).tolist() == [False, True, False, False]


def test_datetime_against_a_text_literal() -> None:
    times = pd.to_datetime(["2023-12-31T23:59:59", "2024-01-01", "2024-06-01", None], utc=True,
                           format="ISO8601")
    frame = pd.DataFrame({"t": times})
    node = Compare((Column("t"), Literal("2024-01-01T00:00:00Z")), (">=",))
    bound = pd.Timestamp("2024-01-01", tz="UTC")
    expected = [bool(t < bound) if t is not pd.NaT else False for t in times]
    assert failing_mask(node, frame, {}).tolist() == expected == [True, False, False, False]
    with pytest.raises(ProfileError, match="'soon' is compared with a time but is not a time"):
        failing_mask(Compare((Column("t"), Literal("soon")), ("<",)), frame, {})


def test_difference_of_times_is_seconds() -> None:
    applied = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"])
    approved = applied + pd.to_timedelta([3600, 86400 * 3, 60], unit="s")
    frame = pd.DataFrame({"applied": applied, "approved": approved})
    node = Compare((Arithmetic("-", Column("approved"), Column("applied")), Literal(86400)),
                   ("<=",))
    expected = ((approved - applied).total_seconds() > 86400).tolist()
    assert failing_mask(node, frame, {}).tolist() == expected


def test_boolean_column_is_a_condition_and_compares_with_numbers() -> None:
    frame = pd.DataFrame({"ok": [True, False, True], "n": [1, 1, 0]})
    assert failing_mask(Column("ok"), frame, {}).tolist() == [False, True, False]
    node = Compare((Column("ok"), Column("n")), ("==",))
    assert failing_mask(node, frame, {}).tolist() == [False, True, True]
    words = pd.DataFrame({"ok": ["yes", "no", "maybe"]})
    assert failing_mask(Column("ok"), words, {"ok": "boolean"}).tolist() == [False, True, False]


def test_text_against_a_number_is_refused_with_both_sides_named() -> None:
    frame = pd.DataFrame({"status": ["a", "b"]})
    with pytest.raises(ProfileError) as caught:
        failing_mask(Compare((Column("status"), Literal(3)), (">",)), frame, {}, name="odd")
    message = str(caught.value)
    assert "condition 'odd'" in message and "column 'status'" in message
    assert "the number 3" in message


def test_a_number_is_not_a_condition() -> None:
    frame = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ProfileError, match="not a truth value"):
        failing_mask(Arithmetic("+", Column("x"), Literal(1)), frame, {})
    with pytest.raises(ProfileError, match="not a truth value"):
        failing_mask(Logic("and", (Column("x"), Literal(True))), frame, {})


def test_unknown_column_names_the_condition_and_the_column() -> None:
    frame = pd.DataFrame({"x": [1.0]})
    node = Compare((Column("x"), Column("y")), ("<",))
    with pytest.raises(ProfileError) as caught:
        failing_mask(node, frame, {}, name="limits")
    assert str(caught.value) == "condition 'limits' reads column 'y', which the data does not have"


def test_configured_missing_values_are_undefined_through_a_reader() -> None:
    frame = pd.DataFrame({"age": [-1, 5, 30]})
    node = Compare((Column("age"), Literal(18)), (">=",))
    assert failing_mask(node, frame, {}).tolist() == [True, True, False]
    reader = ChunkColumns(frame, {}, {"age": (-1,)})
    assert failing_mask(node, frame, {}, reader=reader).tolist() == [False, True, False]


def test_an_empty_frame_and_an_all_null_column() -> None:
    empty = pd.DataFrame({"x": pd.Series([], dtype=float)})
    assert failing_mask(Compare((Column("x"), Literal(1)), ("<",)), empty, {}).tolist() == []
    nulls = pd.DataFrame({"x": [None, None]}, dtype=object)
    # A column with no value and no known kind compares with anything, to undefined.
    assert failing_mask(Compare((Column("x"), Literal(1)), ("<",)), nulls, {}).tolist() == [
        False, False]


def test_condition_columns_in_order_of_appearance() -> None:
    node = Logic("and", (Compare((Column("b"), Column("a")), ("<",)),
                         Not(Compare((Column("c"), Column("b")), ("==",)))))
    assert condition_columns(node) == ("b", "a", "c")


OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}
maybe_number = st.one_of(st.none(), st.integers(-3, 3).map(float))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(maybe_number, maybe_number, maybe_number), min_size=1,
                     max_size=40),
       first=st.sampled_from(sorted(OPS)), second=st.sampled_from(sorted(OPS)),
       joint=st.sampled_from(["and", "or"]), negate=st.booleans())
def test_matches_a_row_by_row_evaluator(rows: list[tuple[float | None, ...]], first: str,
                                        second: str, joint: str, negate: bool) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=float)
    left = Compare((Column("a"), Column("b")), (first,))
    right = Compare((Column("c"), Literal(1)), (second,))
    node = Logic(joint, (left, right))
    if negate:
        node = Not(node)  # type: ignore[assignment]

    def row_truth(a: float | None, b: float | None, c: float | None) -> bool | None:
        x = None if a is None or b is None else OPS[first](a, b)
        y = None if c is None else OPS[second](c, 1)
        value = kleene_and(x, y) if joint == "and" else kleene_or(x, y)
        return value if not negate or value is None else not value

    expected = fails([row_truth(*row) for row in rows])
    assert failing_mask(node, frame, {}).tolist() == expected
