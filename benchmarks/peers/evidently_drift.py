"""Evidently 0.7: Report([DataDriftPreset()]) on two Parquet files (run in its own venv).

    python evidently_drift.py REFERENCE CURRENT
"""

import sys

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
result = snapshot.dict()
drifted = [m for m in result["metrics"] if m["metric_name"].startswith("ValueDrift")]
print(f"evidently: {len(drifted)} columns scored; {result['metrics'][0]['value']}")
