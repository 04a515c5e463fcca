"""Tests of compare(): drift and quality of a current profile against its reference."""

from __future__ import annotations

import ast
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import monitor.analysis.comparison
from monitor.analysis.comparison import (
    ColumnDrift,
    ColumnDriftOptions,
    Comparison,
    DriftOptions,
    compare,
)
from monitor.analysis.quality import QualityOptions, QualityResult
from monitor.errors import ProfileError
from monitor.profiles import Profile, build_profile
from monitor.stats import adjust_p_values, get_method


def _data(n: int, seed: int, shift: float = 0.0, mix: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(40 + 10 * shift, 10, n),
        "income": rng.lognormal(10, 1, n),
        "state": rng.choice(list("abc"), n, p=[0.5 - mix, 0.3 + mix, 0.2]),
    })


@pytest.fixture(scope="module")
def reference() -> Profile:
    """A 5000-row reference with two numeric columns and one categorical column."""
    return build_profile([_data(5000, seed=1)])


def _current(reference: Profile, frame: pd.DataFrame) -> Profile:
    return build_profile([frame], reference=reference)


def test_json_shape_matches_the_contract(reference: Profile) -> None:
    """to_dict has exactly the keys of `monitor compare --format json` and is valid JSON."""
    comparison = compare(reference, _current(reference, _data(2000, seed=2, shift=0.5)),
                         quality=QualityOptions(missing_share_max=0.05))
    document = comparison.to_dict("train.parquet", "today.parquet")
    assert list(document) == ["reference", "current", "columns", "quality", "drift_share",
                              "dataset_drift", "multivariate", "performance",
                              "estimated_performance", "embeddings", "texts"]
    assert document["estimated_performance"] is None  # no estimator in this reference
    assert document["reference"] == {"rows": 5000, "source": "train.parquet"}
    assert document["current"] == {"rows": 2000, "source": "today.parquet"}
    assert [list(c) for c in document["columns"]] == [[
        "column", "kind", "method", "statistic", "p_value", "threshold", "effect_size", "drifted",
        "distances", "missing_share", "drivers",
    ]] * 3
    assert document["columns"][0]["drivers"] == []  # numbers have no categories
    assert [list(d) for d in document["columns"][2]["drivers"]] == [
        ["category", "reference_share", "current_share", "contribution"]] * 3
    assert list(document["columns"][0]["distances"]) == [
        "psi", "jensenshannon", "hellinger", "wasserstein"]
    assert list(document["columns"][2]["distances"]) == ["psi", "jensenshannon", "hellinger"]
    assert document["multivariate"] == [] and document["performance"] is None
    assert all(list(q)[:6] == ["check", "column", "value", "failing_rows", "limit", "passed"]
               for q in document["quality"])
    assert document["columns"][0]["column"] == "age" and document["columns"][0]["drifted"] is True
    assert json.loads(json.dumps(document, allow_nan=False)) == document


def test_non_finite_numbers_become_null() -> None:
    """NaN and inf are written as null, so the JSON stays valid."""
    comparison = Comparison(
        10, 10, (ColumnDrift("x", "numeric", "wasserstein", math.inf, None, 0.1, math.nan, True),),
        (QualityResult("missing_share", "x", math.nan, 0.1, False),), 1.0, True,
    )
    document = comparison.to_dict("a", "b")
    assert document["columns"][0]["statistic"] is None
    assert document["columns"][0]["effect_size"] is None
    assert document["quality"][0]["value"] is None
    json.dumps(document, allow_nan=False)


def test_metrics(reference: Profile) -> None:
    """metrics() gives the numbers alert expressions read."""
    frame = _data(1000, seed=3, shift=1.0).drop(columns=["income"])
    comparison = compare(reference, _current(reference, frame.assign(extra=1)),
                         quality=QualityOptions(min_rows=5000))
    metrics = comparison.metrics()
    assert {k: v for k, v in metrics.items() if "." not in k} == {
        "drift_share": 0.5, "drifted_columns": 1.0, "compared_columns": 2.0,
        "failed_quality_checks": 2.0, "missing_columns": 1.0, "extra_columns": 1.0,
        "rows": 1000.0, "reference_rows": 5000.0, "dataset_drift": 1.0,
    }
    assert comparison.extra_columns == ("extra",)
    age, state = comparison.columns
    assert sorted(k for k in metrics if k.startswith("column.age.")) == sorted(
        f"column.age.{s}" for s in ("statistic", "p_value", "effect_size", "drifted", "psi",
                                    "jensenshannon", "hellinger", "wasserstein", "missing_share"))
    assert "column.state.wasserstein" not in metrics
    assert metrics["column.age.drifted"] == 1.0 and metrics["column.state.drifted"] == 0.0
    assert metrics["column.age.p_value"] == age.p_value
    assert metrics["column.state.psi"] == state.distances["psi"]
    assert not [k for k in metrics if k.startswith(("prediction.", "performance."))]


def test_no_drift_on_data_like_the_reference(reference: Profile) -> None:
    """Data drawn like the reference drifts nowhere."""
    comparison = compare(reference, _current(reference, _data(3000, seed=4)))
    assert [c.column for c in comparison.columns] == ["age", "income", "state"]
    assert [c.method for c in comparison.columns] == ["ks", "ks", "chisquare"]
    assert not comparison.drifted_columns and comparison.drift_share == 0.0
    assert not comparison.dataset_drift


def test_p_values_are_holm_corrected(reference: Profile) -> None:
    """ColumnDrift.p_value is the corrected p-value; `none` leaves the raw one."""
    current = _current(reference, _data(3000, seed=5, shift=0.05, mix=0.02))
    holm = compare(reference, current)
    raw = compare(reference, current, DriftOptions(correction="none"))
    raw_p = [c.p_value for c in raw.columns]
    assert raw_p[0] == get_method("ks").score(reference.columns["age"],
                                              current.columns["age"]).p_value
    assert [c.p_value for c in holm.columns] == pytest.approx(adjust_p_values(raw_p, "holm"))


def test_empty_window(reference: Profile) -> None:
    """0 rows: no drift computed, drift share 0, min_rows and missing checks report it."""
    comparison = compare(reference, build_profile([], reference=reference),
                         quality=QualityOptions(missing_share_max=0.1))
    assert comparison.columns == () and comparison.drift_share == 0.0
    assert not comparison.dataset_drift
    assert [q.check for q in comparison.failed_quality] == ["min_rows"] + ["missing_share"] * 3
    empty_frame = compare(reference, _current(reference, _data(0, seed=1)))
    assert empty_frame.columns == () and empty_frame.metrics()["rows"] == 0.0


def test_all_null_column_is_not_compared(reference: Profile) -> None:
    """A current column of nulls is left out of drift; its missing_share fails."""
    frame = _data(500, seed=6).assign(age=np.nan)
    comparison = compare(reference, _current(reference, frame),
                         quality=QualityOptions(missing_share_max=0.1))
    assert [c.column for c in comparison.columns] == ["income", "state"]
    assert [(q.check, q.column) for q in comparison.failed_quality] == [("missing_share", "age")]


def test_method_and_threshold_options(reference: Profile) -> None:
    """A dataset-wide method covers the kinds it accepts; others fall back to auto."""
    current = _current(reference, _data(3000, seed=7, shift=0.3))
    comparison = compare(reference, current, DriftOptions(method="wasserstein", threshold=0.2))
    assert [(c.method, c.threshold) for c in comparison.columns] == [
        ("wasserstein", 0.2), ("wasserstein", 0.2), ("chisquare", 0.05)
    ]
    assert [c.drifted for c in comparison.columns[:2]] == [True, False]  # 0.3 σ vs none
    assert comparison.columns[0].p_value is None


def test_per_column_options(reference: Profile) -> None:
    """A column's own method and threshold win over the dataset-wide ones."""
    options = DriftOptions(threshold=0.01, columns={
        "state": ColumnDriftOptions(method="psi", threshold=0.3),
        "income": ColumnDriftOptions(threshold=0.2),
    })
    comparison = compare(reference, _current(reference, _data(2000, seed=8)), options)
    assert [(c.method, c.threshold) for c in comparison.columns] == [
        ("ks", 0.01), ("ks", 0.2), ("psi", 0.3)
    ]


def test_method_refusing_a_column_kind_is_an_error(reference: Profile) -> None:
    """KS set for a categorical column is a ValueError naming the methods it could use."""
    options = DriftOptions(columns={"state": ColumnDriftOptions(method="ks")})
    with pytest.raises(ValueError, match="drift method 'ks' does not accept categorical column "
                                         "'state'; methods for categorical columns: auto, chi"):
        compare(reference, _current(reference, _data(100, seed=9)), options)


def test_unknown_column_option_is_logged(
    reference: Profile, caplog: pytest.LogCaptureFixture
) -> None:
    """Options for a column the reference lacks are reported in the log."""
    options = DriftOptions(columns={"agee": ColumnDriftOptions(threshold=0.1)})
    with caplog.at_level(logging.WARNING, logger="monitor.analysis.comparison"):
        compare(reference, _current(reference, _data(100, seed=10)), options)
    assert "'agee'" in caplog.text


def test_kind_mismatch_is_a_profile_error(reference: Profile) -> None:
    """A current profile reading a column as another kind cannot be compared."""
    other = build_profile([_data(100, seed=11)], categorical=["age"])
    with pytest.raises(ProfileError, match="column 'age' is numeric in the reference"):
        compare(reference, other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "kss"}, r"unknown drift method 'kss' \(did you mean 'ks'\?\)"),
        ({"correction": "bonferroni"}, "unknown correction 'bonferroni'"),
        ({"drift_share": 1.5}, "drift_share must be between 0 and 1, got 1.5"),
        ({"threshold": 0}, "a drift threshold must be a number > 0, got 0"),
    ],
)
def test_drift_options_are_validated(kwargs: dict[str, object], message: str) -> None:
    """Bad drift options are refused with the value and what is allowed."""
    with pytest.raises(ValueError, match=message):
        DriftOptions(**kwargs)  # type: ignore[arg-type]


def test_dataset_drift_threshold(reference: Profile) -> None:
    """dataset_drift follows the drift_share option."""
    current = _current(reference, _data(3000, seed=12, shift=0.5))
    assert compare(reference, current).drift_share == pytest.approx(1 / 3)
    assert not compare(reference, current).dataset_drift
    assert compare(reference, current, DriftOptions(drift_share=0.3)).dataset_drift


def test_compare_module_is_pure() -> None:
    """compare.py imports no database or HTTP client."""
    tree = ast.parse(Path(monitor.analysis.comparison.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith(("sqlalchemy", "requests", "monitor.store"))]
