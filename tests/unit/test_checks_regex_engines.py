"""Patterns give Python's answer whichever engine runs them: RE2 on Arrow-held text, else `re`.

Large Arrow-backed text columns take RE2 when it reads the pattern as Python
does; the counts must equal ``re.search`` value by value, including where
the two engines differ (a trailing newline before which Python's ``$``
matches, Unicode digits that Python's ``\\d`` reads).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from monitor.checks import FORMATS, CheckPlan, ColumnCheck
from monitor.checks.local import CheckAccumulator


def texts(n: int, seed: int, *, tail: str = "") -> pd.Series:
    rng = np.random.default_rng(seed)
    good = [f"{rng.integers(10**7, 10**8)}@example.com" for _ in range(n)]
    values = np.array(good, dtype=object)
    bad = rng.choice(n, n // 20, replace=False)
    values[bad] = "no-at-sign"
    values[bad[::3]] = "a b@c.d"
    values[bad[1::3]] = "٣٣@example.org"  # Arabic-Indic digits
    if tail:
        values[rng.choice(n, 50, replace=False)] = "ok@example.com" + tail
    return pd.Series(values, dtype="str")


@pytest.mark.parametrize("pattern", [
    FORMATS["email"], FORMATS["uuid"], r"^[0-9]+@", r"^\d+@", r"\w+@example\.(com|org)$",
    r"^[^@ ]+@[^@ ]+$",
])
@pytest.mark.parametrize("tail", ["", "\n"])
def test_failing_rows_equal_re_search(pattern: str, tail: str) -> None:
    column = texts(5_000, 1, tail=tail)
    assert str(column.dtype) == "str" and hasattr(column.array, "__arrow_array__")
    plan = CheckPlan(columns=(ColumnCheck("pattern", "mail", regex=pattern),))
    checks = CheckAccumulator(plan, {"mail": "categorical"})
    for start in range(0, len(column), 2_000):
        checks.update(pd.DataFrame({"mail": column.iloc[start:start + 2_000]}))
    (result,) = checks.results()
    regex = re.compile(pattern)
    expected = sum(regex.search(v) is None for v in column)
    assert result.failing_rows == expected
    assert all(regex.search(v) is None for v in result.samples)
