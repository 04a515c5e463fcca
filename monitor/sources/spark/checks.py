"""A window's quality checks on the cluster: mergeable states per partition, a second pass.

Each partition computes, for every check of the plan, the state the local
engine (``monitor.checks.local``) keeps, with the same readings
(``ChunkColumns``, ``row_failures``, ``failing_mask``): failing and
considered rows and up to ten failing values for row checks, count, mean
and squared deviations for ``mean`` and ``stddev``. Those states add up, so
they are merged in the same tree as profiles (``partials.tree_merge``).

Three checks need every value at once and do not merge: ``unique`` and
``duplicates`` (repeats across partitions) and ``quantile``. For them a
second pass emits, per row, the 64-bit hash the local engine uses
(``value_hashes``, ``combine_hashes``) or the finite number, and Spark
counts the distinct hashes and computes the exact quantile (``percentile``,
linear between ranks as numpy's default) on the cluster. The counts equal
the local engine's; the failing values of those two repeat checks are not
collected on Spark (their results say so in ``note``).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from monitor.checks import CheckPlan, ColumnCheck, QualityResult, failing_mask
from monitor.checks.hashing import combine_hashes, value_hashes
from monitor.checks.plan import FORMATS, MAX_SAMPLES, STATISTIC_KINDS
from monitor.checks.results import absent_result, row_result, schema_results
from monitor.checks.rows import condition_columns
from monitor.checks.values import ChunkColumns, render, row_failures
from monitor.errors import ProfileError
from monitor.profiles import readers
from monitor.profiles.moments import merge_moments
from monitor.sources.spark.partials import PARTIAL_SCHEMA, arrow_chunks, tree_merge

__all__ = ["check_on_cluster", "check_partition", "merge_states"]

_SAMPLE_SCAN = 10_000
_NO_SAMPLES = "failing values are not collected on Spark for repeats"
State = dict[str, Any]


def _role(check: ColumnCheck) -> str:
    if check.kind == "unique":
        return "unique"
    if check.kind == "quantile":
        return "quantile"
    return "moments" if check.kind in STATISTIC_KINDS else "row"


def _empty(plan: CheckPlan) -> State:
    items: list[State] = []
    for check in plan.columns:
        items.append({"role": _role(check), "failing": 0, "considered": 0, "count": 0,
                      "mean": 0.0, "m2": 0.0, "seen": False, "samples": []})
    for _condition in plan.conditions:
        items.append({"role": "condition", "failing": 0, "rows": 0, "seen": [], "samples": []})
    for _duplicate in plan.duplicates:
        items.append({"role": "duplicates", "rows": 0, "seen": []})
    return {"rows": 0, "chunks": 0, "seen": [], "items": items}


def _encode(state: State) -> bytes:
    return zlib.compress(json.dumps(state).encode("utf-8"), 1)


def _decode(data: bytes) -> State:
    state: State = json.loads(zlib.decompress(data))
    return state


def _sampled(values: list[str], more: Sequence[str]) -> list[str]:
    merged = dict.fromkeys(values)
    for value in more:
        if len(merged) >= MAX_SAMPLES:
            break
        merged[value] = None
    return list(merged)


def merge_states(a: bytes, b: bytes) -> bytes:
    """Two partitions' check states added up."""
    left, right = _decode(a), _decode(b)
    out: State = {"rows": left["rows"] + right["rows"], "chunks": left["chunks"] + right["chunks"],
                  "seen": list(dict.fromkeys([*left["seen"], *right["seen"]])), "items": []}
    for x, y in zip(left["items"], right["items"], strict=True):
        item = dict(x)
        for key in ("failing", "considered", "rows"):
            if key in x:
                item[key] = x[key] + y[key]
        if "count" in x:
            item["mean"], item["m2"] = merge_moments(x["count"], x["mean"], x["m2"],
                                                     y["count"], y["mean"], y["m2"])
            item["count"] = x["count"] + y["count"]
        if isinstance(x["seen"], list):
            item["seen"] = list(dict.fromkeys([*x["seen"], *y["seen"]]))
        else:
            item["seen"] = x["seen"] or y["seen"]
        if "samples" in x:
            item["samples"] = _sampled(x["samples"], y["samples"])
        out["items"].append(item)
    return _encode(out)


def _add_samples(item: State, keep: bool, series: Sequence[pd.Series], positions: np.ndarray,
                 names: Sequence[str] | None = None) -> None:
    """The local engine's samples: the first distinct failing values, rendered."""
    if not keep or len(item["samples"]) >= MAX_SAMPLES or not len(positions):
        return
    at = positions[:_SAMPLE_SCAN]
    parts = [s.iloc[at].tolist() for s in series]
    texts = []
    for row in zip(*parts, strict=True):
        if names is None:
            texts.append(render(row[0]))
        else:
            texts.append(", ".join(f"{n}={render(v)}" for n, v in zip(names, row, strict=True)))
    item["samples"] = _sampled(item["samples"], texts)


def _regexes(plan: CheckPlan) -> list[re.Pattern[str] | None]:
    found: list[re.Pattern[str] | None] = []
    for check in plan.columns:
        text = check.regex or FORMATS.get(check.format or "")
        found.append(re.compile(text) if check.kind in ("pattern", "format") and text else None)
    return found


def _chunk_columns(plan: CheckPlan, kinds: dict[str, str], chunk: pd.DataFrame) -> ChunkColumns:
    """The chunk as the local engine reads it; kinds it infers are kept for the partition."""
    wanted = plan.read_columns()
    for label in chunk.columns:
        name = str(label)
        if name in wanted and name not in kinds and chunk[label].notna().any():
            kinds[name] = readers.infer_kind(chunk[label])
    return ChunkColumns(chunk, kinds, plan.missing_values, absent_as_null=True)


def _update(state: State, plan: CheckPlan, columns: ChunkColumns,
            regexes: list[re.Pattern[str] | None]) -> None:
    items = iter(state["items"])
    for check, regex, item in zip(plan.columns, regexes, items, strict=False):
        name = check.column
        if not columns.has(name):
            if check.kind == "missing":
                item["failing"] += columns.rows
                item["considered"] += columns.rows
            continue
        item["seen"] = True
        if item["role"] in ("moments", "quantile"):
            numbers = columns.numbers(name)
            values = numbers[np.isfinite(numbers)]
            if item["role"] == "moments" and len(values):
                mean = float(values.sum()) / len(values)
                deviations = values - mean
                item["mean"], item["m2"] = merge_moments(
                    item["count"], item["mean"], item["m2"], len(values), mean,
                    float(np.dot(deviations, deviations)))
            item["count"] += len(values)
            continue
        missing = columns.missing(name)
        if check.kind == "missing":
            item["failing"] += int(np.count_nonzero(missing))
            item["considered"] += columns.rows
            continue
        present = ~missing
        item["considered"] += int(np.count_nonzero(present))
        if item["role"] == "unique":
            continue
        positions = np.flatnonzero(row_failures(check, columns, present, regex))
        item["failing"] += len(positions)
        _add_samples(item, plan.keeps_samples(name), [columns.series(name)], positions)
    for condition, item in zip(plan.conditions, items, strict=False):
        names = condition_columns(condition.expression)
        item["seen"] = list(dict.fromkeys([*item["seen"], *(n for n in names
                                                              if columns.has(n))]))
        mask = failing_mask(condition.expression, columns.frame, {}, reader=columns,
                            name=condition.name)
        positions = np.flatnonzero(mask)
        item["failing"] += len(positions)
        item["rows"] += columns.rows
        keep = plan.samples and not set(names) & plan.sensitive
        _add_samples(item, keep, [columns.series(n) for n in names], positions, names)
    for duplicate, item in zip(plan.duplicates, items, strict=False):
        item["seen"] = list(dict.fromkeys([*item["seen"], *(n for n in duplicate.columns
                                                              if columns.has(n))]))
        item["rows"] += columns.rows


def check_partition(plan: CheckPlan, kinds: Mapping[str, str], chunk_rows: int,
                    batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition's check state as one row (``mapInArrow``)."""
    state, known, regexes = _empty(plan), dict(kinds), _regexes(plan)
    for chunk in arrow_chunks(batches, chunk_rows):
        columns = _chunk_columns(plan, known, chunk)
        _update(state, plan, columns, regexes)
        state["rows"] += columns.rows
        state["chunks"] += 1
        state["seen"] = list(dict.fromkeys([*state["seen"], *map(str, chunk.columns)]))
    yield pa.RecordBatch.from_pydict({"partial": [_encode(state)]},
                                     schema=pa.schema([("partial", pa.binary())]))


_VALUES = pa.schema([("check", pa.int32()), ("hash", pa.int64()), ("value", pa.float64())])


def value_partition(plan: CheckPlan, kinds: Mapping[str, str], chunk_rows: int,
                    batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Per row, the hashes of ``unique`` and ``duplicates`` and the numbers of ``quantile``."""
    known = dict(kinds)
    first = len(plan.columns) + len(plan.conditions)
    for chunk in arrow_chunks(batches, chunk_rows):
        columns = _chunk_columns(plan, known, chunk)
        for index, check in enumerate(plan.columns):
            if check.kind not in ("unique", "quantile") or not columns.has(check.column):
                continue
            if check.kind == "unique":
                present = ~columns.missing(check.column)
                hashes = value_hashes(columns, check.column)[present]
                yield _values(index, hashes.view(np.int64), None)
            else:
                numbers = columns.numbers(check.column)
                yield _values(index, None, numbers[np.isfinite(numbers)])
        for offset, duplicate in enumerate(plan.duplicates):
            hashes = combine_hashes([value_hashes(columns, n) for n in duplicate.columns])
            yield _values(first + offset, hashes.view(np.int64), None)


def _values(index: int, hashes: np.ndarray | None, values: np.ndarray | None) -> pa.RecordBatch:
    size = len(hashes) if hashes is not None else len(values) if values is not None else 0
    return pa.RecordBatch.from_arrays(
        [pa.array(np.full(size, index, dtype=np.int32)),
         pa.array(hashes, type=pa.int64()) if hashes is not None else pa.nulls(size, pa.int64()),
         pa.array(values, type=pa.float64()) if values is not None
         else pa.nulls(size, pa.float64())], schema=_VALUES)


def _second_pass(frame: Any, plan: CheckPlan, kinds: Mapping[str, str], chunk_rows: int
                 ) -> dict[int, float]:
    """Distinct hashes of the repeat checks and the quantiles, computed by Spark."""
    from pyspark.sql import functions as F

    aggregates = []
    for index, check in enumerate(plan.columns):
        chosen = F.col("check") == index
        if check.kind == "unique":
            aggregates.append(F.count_distinct(F.when(chosen, F.col("hash"))).alias(f"c{index}"))
        elif check.kind == "quantile":
            q = check.quantile if check.quantile is not None else 0.5
            aggregates.append(F.percentile(F.when(chosen, F.col("value")), F.lit(q))
                              .alias(f"c{index}"))
    first = len(plan.columns) + len(plan.conditions)
    for offset in range(len(plan.duplicates)):
        chosen = F.col("check") == first + offset
        aggregates.append(F.count_distinct(F.when(chosen, F.col("hash"))).alias(
            f"c{first + offset}"))
    if not aggregates:
        return {}
    values = frame.mapInArrow(partial(value_partition, plan, dict(kinds), chunk_rows),
                              "check int, hash long, value double")
    row = values.agg(*aggregates).first()
    return {int(key[1:]): (float("nan") if value is None else float(value))
            for key, value in row.asDict().items()}


def _statistic(check: ColumnCheck, item: State, measured: float | None) -> QualityResult:
    count = item["count"]
    note = None
    if check.kind == "stddev":
        value = float(np.sqrt(item["m2"] / (count - 1))) if count >= 2 else float("nan")
        note = None if count >= 2 else "no standard deviation: fewer than two numbers"
    elif count == 0:
        value, note = float("nan"), f"no {check.kind}: no numbers in the window"
    else:
        value = item["mean"] if check.kind == "mean" else float(measured or 0.0)
    low, high = (None if b is None else float(b) for b in (check.minimum, check.maximum))
    passed = note is None and (low is None or value >= low) and (high is None or value <= high)
    return QualityResult(check=check.kind, column=check.column, value=value, threshold=None,
                         passed=passed, bounds=(check.minimum, check.maximum), note=note)


def _results(plan: CheckPlan, state: State, second: Mapping[int, float]) -> list[QualityResult]:
    seen = state["chunks"] > 0
    out: list[QualityResult] = []
    items = state["items"]
    for index, check in enumerate(plan.columns):
        item = items[index]
        if seen and not item["seen"]:
            out.append(absent_result(check))
        elif item["role"] in ("moments", "quantile"):
            out.append(_statistic(check, item, second.get(index)))
        else:
            failing = item["failing"]
            if item["role"] == "unique":
                failing = item["considered"] - int(second.get(index, item["considered"]))
            result = row_result(check.kind, check.column, failing, item["considered"],
                                check.tolerance, tuple(item["samples"]))
            if item["role"] == "unique" and failing and plan.keeps_samples(check.column):
                result = replace(result, note=_NO_SAMPLES)
            out.append(result)
    first = len(plan.columns)
    for offset, condition in enumerate(plan.conditions):
        item = items[first + offset]
        unknown = [n for n in condition_columns(condition.expression) if n not in item["seen"]]
        if seen and unknown:
            out.append(QualityResult(
                check="condition", column=None, value=1.0, threshold=condition.tolerance.limit,
                passed=False, name=condition.name, unit=condition.tolerance.unit,
                note=f"condition '{condition.name}' reads column '{unknown[0]}', which the "
                     "data does not have"))
            continue
        out.append(row_result("condition", None, item["failing"], item["rows"],
                              condition.tolerance, tuple(item["samples"]), condition.name))
    first += len(plan.conditions)
    for offset, duplicate in enumerate(plan.duplicates):
        item = items[first + offset]
        unknown = [n for n in duplicate.columns if n not in item["seen"]]
        if seen and unknown:
            out.append(QualityResult(
                check="duplicates", column=None, value=1.0, threshold=duplicate.tolerance.limit,
                passed=False, name=duplicate.name, unit=duplicate.tolerance.unit,
                note=f"column '{unknown[0]}' is not in the data"))
            continue
        failing = item["rows"] - int(second.get(first + offset, item["rows"]))
        result = row_result("duplicates", None, failing, item["rows"], duplicate.tolerance,
                            (), duplicate.name)
        keep = plan.samples and not set(duplicate.columns) & plan.sensitive
        out.append(replace(result, note=_NO_SAMPLES) if failing and keep else result)
    if plan.schema is not None and seen:
        out.extend(schema_results(plan, state["seen"]))
    return out


def check_on_cluster(frame: Any, plan: CheckPlan, kinds: Mapping[str, str],
                     chunk_rows: int) -> list[QualityResult]:
    """The plan's checks over a Spark DataFrame's rows: the local engine's results.

    One pass of mergeable states, and a second for ``unique``, ``duplicates``
    and ``quantile`` when the plan has them; ``sql`` checks run elsewhere.
    """
    for check in plan.columns:
        if check.kind == "quantile" and not (check.quantile is not None
                                             and 0 <= check.quantile <= 1):
            raise ProfileError(f"{check.key} check: the quantile must lie in [0, 1], "
                               f"not {check.quantile!r}")
    partials = frame.mapInArrow(partial(check_partition, plan, dict(kinds), chunk_rows),
                                PARTIAL_SCHEMA)
    merged = tree_merge(partials.rdd.map(lambda row: bytes(row[0])), merge_states)
    state = _decode(merged) if merged is not None else _empty(plan)
    second = _second_pass(frame, plan, kinds, chunk_rows) if state["chunks"] else {}
    return _results(plan, state, second)
