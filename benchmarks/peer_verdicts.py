"""The per-column side of the peer benchmark: scipy's answer on all rows, and who agrees.

Each contender's results are ``{column: {"method", "statistic", "p_value",
"drifted"}}`` (``statistic`` or ``p_value`` None where a library reports no
such number). The ground truth runs scipy on every row: ``ks_2samp`` for
numbers, ``chi2_contingency`` of the two count columns for categories, and
calls a column drifted at p < 0.05.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import peer_data
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import stats

ALPHA = 0.05
TRUTH = "scipy (all rows)"
Results = dict[str, dict[str, Any]]


def ground_truth(reference: Path, current: Path) -> Results:
    """scipy on every row of both files, one column at a time (bounded memory)."""
    out: Results = {}
    ref_file, cur_file = pq.ParquetFile(reference), pq.ParquetFile(current)
    for name in peer_data.numeric_columns():
        ref = ref_file.read(columns=[name]).column(name).to_numpy()
        cur = cur_file.read(columns=[name]).column(name).to_numpy()
        test = stats.ks_2samp(ref, cur)
        out[name] = _result("ks", float(test.statistic), float(test.pvalue))
    for name in peer_data.categorical_columns():
        ref_counts = pc.value_counts(ref_file.read(columns=[name]).column(name))
        cur_counts = pc.value_counts(cur_file.read(columns=[name]).column(name))
        ref_map = {str(v["values"]): int(v["counts"].as_py()) for v in ref_counts}
        cur_map = {str(v["values"]): int(v["counts"].as_py()) for v in cur_counts}
        levels = sorted(set(ref_map) | set(cur_map))
        table = np.array([[ref_map.get(k, 0) for k in levels], [cur_map.get(k, 0) for k in levels]])
        chi2, p_value, _, _ = stats.chi2_contingency(table)
        out[name] = _result("chi2_contingency", float(chi2), float(p_value))
    return out


def _result(method: str, statistic: float, p_value: float) -> dict[str, Any]:
    return {"method": method, "statistic": statistic, "p_value": p_value,
            "drifted": p_value < ALPHA}


def from_monitor(document: Mapping[str, Any]) -> Results:
    """The per-column results of a ``monitor compare --format json`` document."""
    out: Results = {}
    for column in document["columns"]:
        note = ""
        if (column["p_value"] is not None and column["p_value"] < column["threshold"]
                and not column["drifted"]):
            note = f"p below alpha, effect {column['effect_size']:.4f} under the floor"
        out[column["column"]] = {"method": column["method"], "statistic": column["statistic"],
                                 "p_value": column["p_value"], "drifted": column["drifted"],
                                 "note": note}
    return out


def _number(value: float | None, p: bool = False) -> str:
    if value is None:
        return "-"
    if p:
        return "0" if value == 0 else f"{value:.2e}" if value < 0.001 else f"{value:.4f}"
    return f"{value:.5f}" if abs(value) < 10 else f"{value:,.1f}"


def table(results: Mapping[str, Results]) -> list[str]:
    """A Markdown table: per column, the change made, then each contender's numbers."""
    names = list(results)
    head = "| column | change |" + "".join(f" {n.split()[0]}: statistic | p | drift |"
                                           for n in names)
    lines = [head, "|---|---|" + "---:|---:|:---:|" * len(names)]
    for column in [*peer_data.numeric_columns(), *peer_data.categorical_columns()]:
        cells = [column, peer_data.change(column)]
        for name in names:
            found = results[name].get(column)
            if found is None:
                cells += ["-", "-", "?"]
                continue
            cells += [_number(found["statistic"]), _number(found["p_value"], p=True),
                      "drift" if found["drifted"] else "·"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def disagreements(results: Mapping[str, Results]) -> list[str]:
    """Where a verdict differs from scipy's or from another contender's, and how close the
    numbers come to scipy's."""
    truth = results[TRUTH]
    contenders = [n for n in results if n != TRUTH]
    lines = []
    for column, expected in truth.items():
        said = {n: results[n][column]["drifted"] for n in contenders if column in results[n]}
        wrong = [n for n, v in said.items() if v != expected["drifted"]]
        if not wrong and len(set(said.values())) <= 1:
            continue
        verdicts = ", ".join(f"{n}: {'drift' if v else 'no drift'}" for n, v in said.items())
        notes = [results[n][column].get("note", "") for n in wrong]
        note = "; ".join(f"{n}: {t}" for n, t in zip(wrong, notes, strict=True) if t)
        truth_said = "drift" if expected["drifted"] else "no drift"
        lines.append(f"- {column} ({peer_data.change(column)}): scipy {truth_said} "
                     f"(p {_number(expected['p_value'], True)}); {verdicts}"
                     + (f" [{note}]" if note else ""))
    if not lines:
        lines.append("- none: every contender gives scipy's verdict on every column")
    for name in contenders:
        lines.append(f"- {name}: {_closeness(results[name], truth)}")
    return lines


def _closeness(found: Results, truth: Results) -> str:
    """How many statistics and p-values equal scipy's (relative 1e-6), and the worst gap."""
    same_stat = same_p = stat_total = p_total = 0
    worst = 0.0
    for column, expected in truth.items():
        mine = found.get(column)
        if mine is None:
            continue
        if mine["statistic"] is not None and _comparable(mine["method"], expected["method"]):
            stat_total += 1
            gap = abs(mine["statistic"] - expected["statistic"])
            same_stat += gap <= 1e-6 * max(abs(expected["statistic"]), 1e-12)
            if expected["method"] == "ks":
                worst = max(worst, gap)
        if mine["p_value"] is not None:
            p_total += 1
            same_p += math.isclose(mine["p_value"], expected["p_value"], rel_tol=1e-6,
                                   abs_tol=1e-300)
    return (f"statistic equal to scipy's on {same_stat} of {stat_total} columns (largest KS D "
            f"gap {worst:.5f}), p-value on {same_p} of {p_total}")


def _comparable(method: str, truth_method: str) -> bool:
    """Whether a contender's statistic is the same quantity as scipy's."""
    ks = {"ks", "kolmogorov_smirnov"}
    chi = {"chisquare", "chi2"}
    return (method in ks and truth_method == "ks") or (
        method in chi and truth_method == "chi2_contingency")


def same_results(first: Results, second: Results) -> list[str]:
    """Columns whose results differ between two runs of one contender (two layouts) beyond
    the last digits (a library may sum counts in another order)."""
    return [c for c in first if c not in second or not _same(first[c], second[c])]


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["drifted"] != b["drifted"]:
        return False
    for key in ("statistic", "p_value"):
        x, y = a[key], b[key]
        if (x is None) != (y is None) or (
                x is not None and not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300)):
            return False
    return True
