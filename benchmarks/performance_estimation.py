"""Performance estimation without labels: the monitor's CBPE and DLE against NannyML 0.13's.

Both tools are fitted on the same reference period and estimate the same analysis chunks
(same rows, same order: the analysis frame is cut by position and an incomplete last chunk is
dropped for both; NannyML's chunk boundaries are checked against ours). The realized metric of
each chunk comes from its labels through one scikit-learn function used for both tools.

Per data set it prints, per chunk and metric, the realized value, the monitor's estimate with
its 95 % band and NannyML's estimate with its band (estimate ± 3 sampling errors); then a
summary (mean absolute error of each over the chunks, share of chunks whose realized value lies
in each band), a verdict on the concept-drift sets (where both must fail), and fit and
estimation times (per 1,000,000 rows, one window).

NannyML 0.13 needs pandas < 3, so the benchmark runs in its own environment, outside the
repository, from the repository root:

    python3 -m venv .venv-nannyml
    .venv-nannyml/bin/pip install -e '.[estimate]' 'nannyml==0.13.1' 'pandas<3' statsmodels
    .venv-nannyml/bin/python benchmarks/performance_estimation.py [--quick] [--only NAME]

(NannyML imports statsmodels without declaring it.) Without nannyml installed the monitor's
side still runs and NannyML's columns stay empty. The full run takes about a minute.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

# NannyML sends usage statistics to a web service unless this is set: keep everything local.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from estimation_data import DataSet, nannyml_sets, simulated

CLASSIFICATION = ["accuracy", "precision", "recall", "f1", "roc_auc"]
REGRESSION = ["mae", "rmse"]
TIMING_ROWS = 1_000_000
Z95 = 1.959963984540054


def metric_names(data: DataSet) -> list[str]:
    """The metrics both tools estimate for this data set."""
    return REGRESSION if data.task == "regression" else CLASSIFICATION


def realized(data: DataSet, chunk: pd.DataFrame) -> dict[str, float]:
    """The metrics computed from the chunk's labels: one function for both tools.

    A precision without predicted positives (or a recall without positives) is undefined:
    NaN, and the chunk is left out of that metric's errors and coverage for both tools.
    """
    y = chunk[data.target].to_numpy()
    pred = chunk[data.prediction].to_numpy()
    if data.task == "regression":
        return {"mae": float(mean_absolute_error(y, pred)),
                "rmse": math.sqrt(float(mean_squared_error(y, pred)))}
    if data.task == "binary":
        assert isinstance(data.score, str)
        avg: dict[str, Any] = {"zero_division": np.nan}
        auc = float(roc_auc_score(y, chunk[data.score].to_numpy()))
    else:
        assert isinstance(data.score, dict)
        avg = {"average": "macro", "labels": data.classes, "zero_division": np.nan}
        # Macro one-vs-rest AUC by hand: shipped scores rounded to 0.01 need not sum to 1.
        auc = float(np.mean([roc_auc_score(y == c, chunk[data.score[c]].to_numpy())
                             for c in data.classes]))
    return {"accuracy": float(accuracy_score(y, pred)),
            "precision": float(precision_score(y, pred, **avg)),
            "recall": float(recall_score(y, pred, **avg)),
            "f1": float(f1_score(y, pred, **avg)), "roc_auc": auc}


Band = tuple[float, float, float]  # value, lower, upper


@dataclass
class Side:
    """One tool's per-chunk estimates and its timings."""

    bands: list[dict[str, Band]] = field(default_factory=list)
    bands95: list[dict[str, Band]] = field(default_factory=list)  # NannyML: ±1.96 σ
    fit_s: float = math.nan
    estimate_s: float = math.nan  # whole analysis period, chunk by chunk
    error: str = ""


# ---------------------------------------------------------------- the monitor

def _monitor_fit(data: DataSet) -> Any:
    from monitor.estimation import fit_estimator

    task = {"task": "regression" if data.task == "regression" else "classification"}
    if "task" not in inspect.signature(fit_estimator).parameters:
        task = {}  # CBPE with a score, DLE without
    return fit_estimator(data.reference, **task, target=data.target, score=data.score,
                         prediction=data.prediction, features=data.features or None)


def _monitor_estimate(estimator: Any, frame: pd.DataFrame) -> Any:
    from monitor.estimation import EstimationAccumulator

    acc = EstimationAccumulator(estimator)
    acc.update(frame)
    return acc.estimate()


def run_monitor(data: DataSet, chunks: list[pd.DataFrame]) -> Side:
    """Fit on the reference, then one accumulator per chunk fed the chunk without its target."""
    side = Side()
    try:
        start = time.perf_counter()
        estimator = _monitor_fit(data)
        side.fit_s = time.perf_counter() - start
        start = time.perf_counter()
        for chunk in chunks:
            result = _monitor_estimate(estimator, chunk.drop(columns=[data.target]))
            side.bands.append({name: (b.value, b.lower, b.upper)
                               for name, b in result.metrics.items()})
        side.estimate_s = time.perf_counter() - start
    except Exception as exc:  # the comparison goes on with the other tool
        side.error = f"{type(exc).__name__}: {exc}"
    return side


# ---------------------------------------------------------------- NannyML

def _nannyml(data: DataSet, chunking: dict[str, int]) -> Any:
    import nannyml as nml  # type: ignore[import-not-found]

    if data.task == "regression":
        return nml.DLE(feature_column_names=data.features, y_pred=data.prediction,
                       y_true=data.target, metrics=REGRESSION, **chunking)
    problem = "classification_binary" if data.task == "binary" else "classification_multiclass"
    return nml.CBPE(y_pred_proba=data.score, y_pred=data.prediction, y_true=data.target,
                    metrics=CLASSIFICATION, problem_type=problem, **chunking)


def run_nannyml(data: DataSet, chunks: list[pd.DataFrame]) -> Side:
    """Fit on the reference with chunk_size, estimate the trimmed analysis frame."""
    side = Side()
    try:
        estimator = _nannyml(data, {"chunk_size": data.chunk_size})
        start = time.perf_counter()
        estimator.fit(data.reference)
        side.fit_s = time.perf_counter() - start
        analysis = data.trimmed_analysis().drop(columns=[data.target])
        start = time.perf_counter()
        frame = estimator.estimate(analysis).to_df()
        side.estimate_s = time.perf_counter() - start
    except Exception as exc:
        side.error = f"{type(exc).__name__}: {exc}"
        return side
    frame = frame[frame[("chunk", "period")] == "analysis"].reset_index(drop=True)
    starts = [int(s) for s in frame[("chunk", "start_index")]]
    ends = [int(e) for e in frame[("chunk", "end_index")]]
    expected = [(i * data.chunk_size, (i + 1) * data.chunk_size - 1) for i in range(len(chunks))]
    if list(zip(starts, ends, strict=True)) != expected:
        raise SystemExit(f"{data.name}: NannyML's chunks {list(zip(starts, ends, strict=True))}"
                         f" differ from ours {expected}")
    for _, row in frame.iterrows():
        value = {m: float(row[(m, "value")]) for m in metric_names(data)}
        side.bands.append({m: (v, float(row[(m, "lower_confidence_boundary")]),
                               float(row[(m, "upper_confidence_boundary")]))
                           for m, v in value.items()})
        se = {m: float(row[(m, "sampling_error")]) for m in metric_names(data)}
        side.bands95.append({m: (v, v - Z95 * se[m], v + Z95 * se[m])
                             for m, v in value.items()})
    return side


# ---------------------------------------------------------------- printing

def _fmt(x: float) -> str:
    return "—" if x is None or math.isnan(x) else f"{x:.4f}"


def _band(side: Side, i: int, metric: str) -> Band | None:
    if i >= len(side.bands) or metric not in side.bands[i]:
        return None
    return side.bands[i][metric]


def _inside(band: Band | None, value: float) -> bool | None:
    if band is None or math.isnan(band[1]) or math.isnan(band[2]):
        return None
    return band[1] <= value <= band[2]


def _cell(band: Band | None, value: float) -> str:
    if band is None:
        return "—"
    mark = {True: "", False: " ✗", None: ""}[_inside(band, value)]
    return f"{_fmt(band[0])} [{_fmt(band[1])}, {_fmt(band[2])}]{mark}"


def print_chunks(data: DataSet, truth: list[dict[str, float]], mon: Side, nml: Side) -> None:
    """The per-chunk table of one data set (✗: realized outside that tool's band)."""
    print(f"\n### {data.name} ({data.task}; {data.note})\n")
    print(f"reference {len(data.reference):,} rows, {len(truth)} analysis chunks of "
          f"{data.chunk_size:,}" + (f"; P(y|x) drifts from chunk {data.drift_from}"
                                    if data.drift_from is not None else ""))
    for side, who in ((mon, "monitor"), (nml, "NannyML")):
        if side.error:
            print(f"\n{who} failed: {side.error}")
    print("\n| chunk | metric | realized | monitor [95 % band] | NannyML [±3σ] |")
    print("|---|---|---|---|---|")
    for metric in metric_names(data):
        for i, t in enumerate(truth):
            cells = [_cell(_band(side, i, metric), t[metric]) for side in (mon, nml)]
            print(f"| {i} | {metric} | {_fmt(t[metric])} | {cells[0]} | {cells[1]} |")
    print(f"\nwhole analysis period, chunk by chunk: monitor {mon.estimate_s:.2f} s, "
          f"NannyML {nml.estimate_s:.2f} s")


Row = dict[str, Any]


def summarise(data: DataSet, truth: list[dict[str, float]], mon: Side, nml: Side,
              chunk_ids: list[int]) -> list[Row]:
    """MAE of each tool and the share of chunks inside each band, over ``chunk_ids``."""
    rows = []
    for metric in metric_names(data):
        defined = sum(math.isfinite(truth[i][metric]) for i in chunk_ids)
        row: Row = {"data": data.name, "metric": metric, "chunks": defined}
        for side, key in ((mon, "mon"), (nml, "nml"), (Side(nml.bands95), "n95")):
            bands = [_band(side, i, metric) for i in chunk_ids]
            pairs = [(b, truth[i][metric]) for b, i in zip(bands, chunk_ids, strict=True)
                     if b is not None and math.isfinite(truth[i][metric])]
            undefined = [b for b, _ in pairs if not math.isfinite(b[0])]
            if undefined:  # the tool gave no number where the realized value exists
                row[f"undefined_{key}"] = len(undefined)
                pairs = [(b, t) for b, t in pairs if math.isfinite(b[0])]
            row[f"mae_{key}"] = (float(np.mean([abs(b[0] - t) for b, t in pairs]))
                                 if pairs else math.nan)
            inside = [_inside(b, t) for b, t in pairs]
            row[f"cov_{key}"] = (sum(bool(x) for x in inside) / len(inside)
                                 if inside else math.nan)
            row[f"hw_{key}"] = (float(np.mean([(b[2] - b[1]) / 2 for b, _ in pairs]))
                                if pairs else math.nan)
        rows.append(row)
    return rows


def print_summary(title: str, rows: list[Row]) -> None:
    """The summary table: errors, band half-widths and coverages per data set and metric."""
    print(f"\n## {title}\n")
    print("| data set | metric | chunks | MAE monitor | MAE NannyML | monitor/NannyML "
          "| half-width monitor (95 %) | half-width NannyML (1.96 σ) | coverage monitor "
          "| coverage NannyML ±1.96 σ | coverage NannyML ±3 σ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def mae(r: Row, key: str) -> str:
        gaps = r.get(f"undefined_{key}", 0)
        return _fmt(r[f"mae_{key}"]) + (f" ({gaps} NaN)" if gaps else "")

    def cov(x: float) -> str:
        return "—" if math.isnan(x) else f"{x:.0%}"

    for r in rows:
        ratio = r["mae_mon"] / r["mae_nml"] if r["mae_nml"] else math.nan
        ratio_text = "—" if math.isnan(ratio) else f"{ratio:.2f}"
        print(f"| {r['data']} | {r['metric']} | {r['chunks']} | {mae(r, 'mon')} "
              f"| {mae(r, 'nml')} | {ratio_text} | {_fmt(r['hw_mon'])} | {_fmt(r['hw_n95'])} "
              f"| {cov(r['cov_mon'])} | {cov(r['cov_n95'])} | {cov(r['cov_nml'])} |")


# ---------------------------------------------------------------- timing

def _window(data: DataSet, rows: int) -> pd.DataFrame:
    analysis = data.trimmed_analysis().drop(columns=[data.target])
    reps = -(-rows // len(analysis))
    return pd.concat([analysis] * reps, ignore_index=True).iloc[:rows]


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_window(data: DataSet, rows: int, have_nml: bool) -> Row:
    """Fit time and the time to estimate one window of ``rows`` rows, for each tool."""
    window = _window(data, rows)
    row: Row = {"data": data.name, "rows": rows, "ref": len(data.reference)}
    try:
        from monitor.profiles.estimation import dle

        dle._fitted.cache_clear()  # DLE's models are fitted once per process: time a real fit
        row["fit_mon"] = _timed(lambda: _monitor_fit(data))
        estimator = _monitor_fit(data)
        row["est_mon"] = _timed(lambda: _monitor_estimate(estimator, window))
    except Exception as exc:
        row["fit_mon"] = row["est_mon"] = math.nan
        print(f"monitor timing failed on {data.name}: {type(exc).__name__}: {exc}")
    row["fit_nml"] = row["est_nml"] = math.nan
    if have_nml:
        row["fit_nml"] = _timed(lambda: _nannyml(data, {"chunk_size": data.chunk_size})
                                .fit(data.reference))
        whole = _nannyml(data, {"chunk_number": 1})
        whole.fit(data.reference)
        row["est_nml"] = _timed(lambda: whole.estimate(window))
    return row


def print_timing(rows: list[Row]) -> None:
    """Fit and estimation times; estimation scaled to 1,000,000 rows."""
    print("\n## Timing (seconds)\n")
    print("| data set | reference rows | fit monitor | fit NannyML | window rows "
          "| estimate monitor per 1M rows | estimate NannyML per 1M rows |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        scale = TIMING_ROWS / r["rows"]
        print(f"| {r['data']} | {r['ref']:,} | {r['fit_mon']:.2f} | {r['fit_nml']:.2f} "
              f"| {r['rows']:,} | {r['est_mon'] * scale:.2f} | {r['est_nml'] * scale:.2f} |")


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    """Run every data set (or ``--only`` one) through both tools and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller reference and four small chunks per data set")
    parser.add_argument("--only", metavar="NAME", help="run one data set")
    parser.add_argument("--chunks", type=int, help="analysis chunks of each simulated set")
    parser.add_argument("--summary", action="store_true", help="no per-chunk tables")
    parser.add_argument("--no-timing", action="store_true", help="skip the 1M-row timing")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    try:
        import lightgbm  # type: ignore[import-not-found]
        import nannyml as nml

        lightgbm.register_logger(logging.getLogger("lightgbm"))  # its [Info] lines, silenced
        have_nml = True
        print(f"NannyML {nml.__version__}, pandas {pd.__version__}")
    except ImportError as exc:
        have_nml = False
        print(f"NannyML not available ({exc}): its columns stay empty")
    sets = simulated(args.quick, args.chunks) + (nannyml_sets(args.quick) if have_nml else [])
    if args.only:
        sets = [d for d in sets if d.name == args.only]
        if not sets:
            parser.error(f"no data set named {args.only}")
    overall: list[Row] = []
    drifted: list[Row] = []
    for data in sets:
        chunks = data.chunks()
        truth = [realized(data, c) for c in chunks]
        mon = run_monitor(data, chunks)
        nml_side = run_nannyml(data, chunks) if have_nml else Side(error="not installed")
        if not args.summary:
            print_chunks(data, truth, mon, nml_side)
        overall += summarise(data, truth, mon, nml_side, list(range(len(chunks))))
        if data.drift_from is not None:
            drifted += summarise(data, truth, mon, nml_side,
                                 list(range(data.drift_from, len(chunks))))
    print_summary("Summary over all analysis chunks", overall)
    if drifted:
        print_summary("Concept drift: the chunks after P(y|x) changed (both should fail: "
                      "large errors, low coverage)", drifted)
    if not args.no_timing:
        rows = 200_000 if args.quick else TIMING_ROWS
        timing = []
        for data in sets:
            if data.name in ("sim_binary", "sim_multiclass", "sim_regression", "nml_car_price"):
                timing.append(time_window(data, rows, have_nml))
        if timing:
            print_timing(timing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
