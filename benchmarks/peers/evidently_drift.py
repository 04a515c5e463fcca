"""Evidently 0.7: DataDriftPreset with KS and chi-square on two Parquet files (own venv).

Evidently picks a test by the reference's size: above 1,000 rows the
normed Wasserstein distance for numbers and Jensen–Shannon for categories,
with thresholds on the distance. The preset is told to run the p-value tests
instead: ``num_method="ks"`` (``scipy.stats.ks_2samp`` on every row) and
``cat_method="chisquare"`` (``scipy.stats.chisquare`` of the current counts
against the reference shares scaled to the current size: a goodness-of-fit
test, not the contingency table's). Evidently samples nothing for these.
Its drift score is the p-value; it reports no statistic.

    python evidently_drift.py REFERENCE CURRENT OUT.json
"""

import json
import sys

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
preset = DataDriftPreset(num_method="ks", cat_method="chisquare")
snapshot = Report([preset]).run(current_data=current, reference_data=reference)
columns = {}
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if not config["type"].endswith(":ValueDrift"):
        continue
    method, threshold, p_value = config["method"], config["threshold"], float(metric["value"])
    # Evidently's own rules: ks drifts when p <= threshold, chisquare when p < threshold.
    drifted = p_value <= threshold if method == "ks" else p_value < threshold
    columns[config["column"]] = {"method": method, "statistic": None, "p_value": p_value,
                                 "drifted": bool(drifted)}
with open(sys.argv[3], "w", encoding="utf-8") as out:
    json.dump({"columns": columns}, out)
print(f"evidently: {len(columns)} columns scored, {sum(c['drifted'] for c in columns.values())} "
      "drifted")
