"""NannyML 0.13: UnivariateDriftCalculator on two Parquet files (run in its own venv).

KS and Jensen–Shannon on numeric columns, chi-square and Jensen–Shannon on
categorical ones, the whole current file as one chunk.

    python nannyml_drift.py REFERENCE CURRENT
"""

import sys

import nannyml as nml
import pandas as pd

reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
categorical = [c for c in reference.columns if not pd.api.types.is_numeric_dtype(reference[c])]
calculator = nml.UnivariateDriftCalculator(
    column_names=list(reference.columns),
    treat_as_categorical=categorical,
    continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
    categorical_methods=["chi2", "jensen_shannon"],
    chunk_number=1,
)
calculator.fit(reference)
results = calculator.calculate(current).filter(period="analysis").to_df()
print(f"nannyml: {results.shape[0]} chunk(s), {results.shape[1]} result columns")
