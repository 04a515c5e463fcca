"""NannyML 0.13: UnivariateDriftCalculator, KS and chi-square, on two Parquet files (own venv).

Set to run the same tests as the others on every row:

- one chunk: ``chunk_number=1`` makes the whole current file one chunk (and
  the whole reference one);
- the exact KS: with a reference of 10,000 rows or more NannyML's KS by
  default bins the reference into 10,000 equal-width bins between its
  minimum and maximum and reads D off the cumulative histogram.
  ``calculation_method: exact`` keeps the reference and runs
  ``scipy.stats.ks_2samp`` (NannyML 0.13 reads the option from the top
  level of ``computation_params`` once a ``kolmogorov_smirnov`` key is
  there, so both are given; the script checks that it took);
- KS gives D only, and its default alert is a threshold on D drawn from
  the reference's chunks (mean + 3 standard deviations). A constant
  threshold at the critical D of alpha 0.05 for these sizes (the
  distribution ``scipy.stats.ks_2samp`` takes its p-value from) makes its
  alert the p < 0.05 decision;
- chi-square is ``scipy.stats.chi2_contingency`` of the two count columns,
  alerting at p < 0.05 (its own rule); the p-value is read from the method.

    python nannyml_drift.py REFERENCE CURRENT OUT.json
"""

import json
import sys

import nannyml as nml
import pandas as pd
from nannyml.thresholds import ConstantThreshold
from scipy.stats import kstwo

ALPHA = 0.05
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
categorical = [c for c in reference.columns if not pd.api.types.is_numeric_dtype(reference[c])]
n, m = len(reference), len(current)
critical = float(kstwo.isf(ALPHA, round(n * m / (n + m))))
calculator = nml.UnivariateDriftCalculator(
    column_names=list(reference.columns),
    treat_as_categorical=categorical,
    continuous_methods=["kolmogorov_smirnov"],
    categorical_methods=["chi2"],
    chunk_number=1,
    thresholds={"kolmogorov_smirnov": ConstantThreshold(upper=critical)},
    computation_params={"kolmogorov_smirnov": {"calculation_method": "exact"},
                        "calculation_method": "exact"},
)
calculator.fit(reference)
results = calculator.calculate(current).filter(period="analysis").to_df()
if len(results) != 1:
    raise SystemExit(f"expected one analysis chunk, got {len(results)}")
columns = {}
for name, methods in calculator._column_to_models_mapping.items():
    for method in methods:
        key = method.column_name
        if key == "kolmogorov_smirnov" and method.calculation_method != "exact":
            raise SystemExit(f"{name}: KS runs {method.calculation_method!r}, not exact")
        columns[name] = {
            "method": key,
            "statistic": float(results[(name, key, "value")].iloc[0]),
            "p_value": float(method._p_value) if key == "chi2" else None,
            "drifted": bool(results[(name, key, "alert")].iloc[0]),
        }
with open(sys.argv[3], "w", encoding="utf-8") as out:
    json.dump({"columns": columns, "ks_critical_d": critical}, out)
print(f"nannyml: {len(columns)} columns, {sum(c['drifted'] for c in columns.values())} drifted, "
      f"KS critical D {critical:.6f}")
