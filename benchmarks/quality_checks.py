"""The same 20 data-quality checks, four ways: the monitor and Great Expectations 1.x, each on a
Parquet file in process and pushed down into PostgreSQL.

Monitor API called: the checks file through ``monitor.rules.checkfile.load_checks``, run by the
engine ``monitor compare --checks`` uses (``run_monitor_local``) and by a ``sql`` source's
``check_window`` on the PostgreSQL table (``run_monitor_pushdown``).

Generates 1,000,000 loan applications (14 columns) with a known number of injected faults per
check, writes them as Parquet and bulk-loads them into the schema ``bench_quality`` of the test
database (then VACUUM ANALYZE; the schema is dropped at the end). Each contender runs in a
process of its own, one after the other:

- monitor, Parquet in process, and monitor, pushed down into PostgreSQL;
- Great Expectations 1.x: its pandas data source reading the same Parquet file, and its
  PostgreSQL data source on the same table, one ``ValidationDefinition`` each.

``seconds`` is the contender's work inside its process, from reading the data to the verdicts
(the library's import is done before the clock starts; ``process s`` is the whole process).
``peak MB`` is the process's own peak resident memory (``VmHWM``, see ``peak_rss_mb``): it
includes the interpreter and the libraries; for push-down it is the client's, not the server's.
The ground truth comes from the generator: failing rows per check, statistics from numpy.

    .venv/bin/python benchmarks/quality_checks.py                 # about 2 minutes
    .venv/bin/python benchmarks/quality_checks.py --rows 100000   # a quick run
    .venv/bin/python benchmarks/quality_checks.py --repeat 3 --skip gx-pandas
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import yaml  # noqa: E402

from monitor.checks.plan import FORMATS, STATISTIC_KINDS, QualityResult, Tolerance  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA, TABLE = "bench_quality", "loans"
T0_US = 1_740_787_200_000_000  # 2025-03-01 00:00 UTC in microseconds
DAY_US, HOUR_US = 86_400_000_000, 3_600_000_000


class Verdict(NamedTuple):
    """One check's outcome: passed, failing rows (row checks) and measured value (statistics)."""

    passed: bool
    failing: int | None = None
    value: float | None = None


# --- the data, with its ground truth ----------------------------------------------------------

FAULTS = {  # rows per 1,000,000; every fault lands on rows of its own
    "age_null": 5000, "age_out": 120, "email_bad": 300, "email_na": 700, "email_empty": 200,
    "email_null": 100, "dup_same_day": 40, "dup_other_day": 60, "state_out": 250,
    "state_null": 50, "uuid_bad": 80, "name_empty": 30, "name_long": 20, "name_null": 10,
    "amount_not_positive": 90, "amount_not_positive_void": 60, "amount_null": 40,
    "income_null": 30000, "income_negative": 25, "status_out": 35, "term_out": 45,
    "applied_null": 15, "approved_before": 70,
}
FIRST = ["Ana", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jamal",
         "Kenji", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Yuki"]
LAST = ["Garcia", "Smith", "Nguyen", "Okafor", "Muller", "Rossi", "Kowalski", "Tanaka", "Silva",
        "Johnson", "Haddad", "Novak", "Larsen", "Dubois", "Kim", "Patel", "Cohen", "Moreau"]
LONG_NAMES = ["Maximiliana Alexandra Wolfeschlegelsteinhausen", "Bartholomew Fitzgerald "
              "Montgomery-Ashworth III", "Guadalupe Esperanza de los Santos Villanueva"]


@dataclass
class LoanData:
    """The generated table, failing rows and looked-at rows per check key, fault counts."""

    table: pa.Table
    truth: dict[str, tuple[int, int]]
    counts: dict[str, int]


def generate(rows: int, seed: int = 7) -> LoanData:
    """Loan applications over 29 days; clean values never fail, each fault fails one check."""
    rng = np.random.default_rng(seed)
    n = rows
    c = {k: max(1, round(v * n / 1_000_000)) for k, v in FAULTS.items()}
    sizes = {**c, "dup_same_day_source": c["dup_same_day"],
             "dup_other_day_source": c["dup_other_day"]}
    if sum(sizes.values()) > n:
        raise SystemExit(f"--rows {n} is too few for the faults: {sum(sizes.values())} rows")
    rows_of = dict(zip(sizes, np.split(rng.permutation(n), np.cumsum(list(sizes.values()))),
                       strict=False))  # disjoint rows per fault; the rest stay clean
    col: dict[str, np.ndarray] = {
        "loan_id": rng.permutation(n).astype(np.int64) + 100_000,
        "name": np.array([f"{FIRST[a]} {LAST[b]}" for a, b in zip(
            rng.integers(len(FIRST), size=n), rng.integers(len(LAST), size=n), strict=True)],
            dtype=object),
        "state": rng.choice(np.array(["CA", "NY", "TX"], dtype=object), n, p=[0.5, 0.3, 0.2]),
        "age": rng.integers(18, 91, n).astype(np.int32),
        "amount": np.round(rng.lognormal(np.log(130), 0.55, n), 2),
        "income": np.round(rng.lognormal(np.log(60_000), 0.5, n), -2),
        "term_months": rng.choice(np.array([12, 24, 36, 48, 60], dtype=np.int32), n),
        "status": rng.choice(np.array(["approved", "rejected", "pending", "void"], dtype=object),
                             n, p=[0.6, 0.25, 0.12, 0.03]),
        "applied_at": T0_US + rng.integers(0, 29 * DAY_US, n),
    }
    col["email"] = np.array([f"{name.lower().replace(' ', '.')}{i}@example.com"
                             for i, name in enumerate(col["name"])], dtype=object)
    col["approved_at"] = col["applied_at"] + rng.integers(HOUR_US, 72 * HOUR_US, n)
    hexed = rng.bytes(16 * n).hex()
    col["id_uuid"] = np.array([f"{hexed[i:i + 8]}-{hexed[i + 8:i + 12]}-{hexed[i + 12:i + 16]}-"
                               f"{hexed[i + 16:i + 20]}-{hexed[i + 20:i + 32]}"
                               for i in range(0, 32 * n, 32)], dtype=object)
    null = {name: np.zeros(n, dtype=bool) for name in col}
    null["approved_at"] = col["status"] != "approved"
    for key in ("dup_same_day", "dup_other_day"):  # rows ingested twice; a loan id on two days
        source, target = rows_of[f"{key}_source"], rows_of[key]
        for name in col:
            col[name][target], null[name][target] = col[name][source], null[name][source]
        if key == "dup_other_day":
            col["applied_at"][target] += DAY_US
            col["approved_at"][target] += DAY_US

    def fault(key: str, column: str, values: Iterable[Any] | None = None) -> np.ndarray:
        at = rows_of[key]
        if values is None:
            null[column][at] = True
        else:
            col[column][at] = rng.choice(np.array(list(values), dtype=col[column].dtype), len(at))
        return at

    fault("age_null", "age")
    fault("age_out", "age", [0, 15, 17, 101, 130, 250])
    fault("email_bad", "email", ["jane.doe.example.com", "john smith@example.com",
                                 "ana@garcia@example.com", "@example.com"])
    fault("email_na", "email", ["N/A"])
    fault("email_empty", "email", [""])
    fault("email_null", "email")
    fault("state_out", "state", ["FL", "WA", "ca", "Texas"])
    fault("state_null", "state")
    fault("uuid_bad", "id_uuid", ["not-a-uuid", "0b5e5c4a9f3d4a6b8c2d1e0f9a8b7c6d",  # no dashes
                                  "0b5e5c4a-9f3d-4a6b-8c2d",  # cut short
                                  "0b5e5c4a-9f3d-4a6b-8c2d-1e0f9a8b7c6g"])  # not hexadecimal
    fault("name_empty", "name", [""])
    fault("name_long", "name", LONG_NAMES)
    fault("name_null", "name")
    for key, status in (("amount_not_positive", "rejected"), ("amount_not_positive_void", "void")):
        at = fault(key, "amount", [0.0, -10.5, -250.0])
        col["status"][at], null["approved_at"][at] = status, True
    fault("amount_null", "amount")
    fault("income_null", "income")
    at = rows_of["income_negative"]
    col["income"][at] = -np.round(rng.uniform(100, 90_000, len(at)), -2)
    fault("status_out", "status", ["APPROVED", "cancelled", "unknown"])
    fault("term_out", "term_months", [0, 18, 72])
    fault("applied_null", "applied_at")
    at = rows_of["approved_before"]
    col["approved_at"][at] = col["applied_at"][at] - rng.integers(60_000_000, 48 * HOUR_US, len(at))
    col["status"][at], null["approved_at"][at] = "approved", False
    col["day"], null["day"] = (col["applied_at"] // DAY_US).astype(np.int32), null["applied_at"]
    col["logged_at"] = T0_US + np.sort(rng.integers(0, 30 * DAY_US, n))  # when the row arrived
    null["logged_at"] = np.zeros(n, dtype=bool)
    types = {"loan_id": pa.int64(), "age": pa.int32(), "amount": pa.float64(),
             "income": pa.float64(), "term_months": pa.int32(), "day": pa.date32(),
             "applied_at": pa.timestamp("us", "UTC"), "approved_at": pa.timestamp("us", "UTC"),
             "logged_at": pa.timestamp("us", "UTC")}
    order_of_columns = ["loan_id", "name", "email", "state", "age", "amount", "income",
                        "term_months", "status", "applied_at", "approved_at", "day", "id_uuid",
                        "logged_at"]
    table = pa.table({name: pa.array(col[name], type=types.get(name, pa.string()),
                                     mask=null[name]) for name in order_of_columns})
    missing_email = c["email_na"] + c["email_empty"] + c["email_null"]
    truth = {
        "age.range": (c["age_out"], n - c["age_null"]), "age.missing": (c["age_null"], n),
        "email.pattern": (c["email_bad"], n - missing_email), "email.missing": (missing_email, n),
        "loan_id.unique": (c["dup_same_day"] + c["dup_other_day"], n),  # rows beyond the first
        "state.allowed": (c["state_out"], n - c["state_null"]),
        "id_uuid.format": (c["uuid_bad"], n),
        "name.length": (c["name_empty"] + c["name_long"], n - c["name_null"]),
        "income.missing": (c["income_null"], n),
        "income.range": (c["income_negative"], n - c["income_null"]),
        "status.allowed": (c["status_out"], n), "term_months.allowed": (c["term_out"], n),
        "applied_at.missing": (c["applied_null"], n),
        "approved_after_applied": (c["approved_before"], n),
        "positive_or_void": (c["amount_not_positive"], n),
        "loan_id,day": (c["dup_same_day"], n),
    }
    return LoanData(table, truth, c)


# --- the checks file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One check of the file: its result key, kind, column (None for row-level ones) and keys."""

    key: str
    kind: str
    column: str | None
    params: dict[str, Any]

    @property
    def tolerance(self) -> Tolerance:
        """The failing rows it allows, as the monitor's plan reads them."""
        return Tolerance(self.params.get("max_share"), self.params.get("max_rows"))


def load_checks(path: Path) -> tuple[list[Check], dict[str, list[Any]]]:
    """The checks of a ``quality:`` block, in file order, and each column's missing values."""
    quality = yaml.safe_load(path.read_text())["quality"]
    checks: list[Check] = []
    missing: dict[str, list[Any]] = {}
    for column, kinds in quality.get("columns", {}).items():
        for kind, params in kinds.items():
            checks.append(Check(f"{column}.{kind}", kind, column, params or {}))
            if kind == "missing" and (params or {}).get("values"):
                missing[column] = list(params["values"])
    for condition in quality.get("conditions", []):
        checks.append(Check(condition["name"], "condition", None, condition))
    duplicates = quality.get("duplicates", [])
    for entry in [duplicates] if isinstance(duplicates, dict) else duplicates:
        checks.append(Check(",".join(entry["columns"]), "duplicates", None, entry))
    return checks, missing


def ground_truth(checks: list[Check], data: LoanData) -> dict[str, Verdict]:
    """The expected verdicts: injected failing rows, and statistics computed with numpy."""
    found: dict[str, Verdict] = {}
    for check in checks:
        if check.kind in STATISTIC_KINDS:
            values = data.table[check.column].drop_null().to_numpy()
            if check.kind == "mean":
                measured = float(np.mean(values))
            elif check.kind == "stddev":
                measured = float(np.std(values, ddof=1))
            else:  # linear interpolation, as the plan says
                measured = float(np.quantile(values, check.params["q"]))
            low, high = check.params.get("min", -math.inf), check.params.get("max", math.inf)
            found[check.key] = Verdict(low <= measured <= high, None, measured)
        elif check.key in data.truth:
            failing, considered = data.truth[check.key]
            found[check.key] = Verdict(check.tolerance.allows(failing, considered), failing)
    return found


# --- the contenders -----------------------------------------------------------------------------

def verdicts_from_results(results: Iterable[QualityResult]) -> dict[str, Verdict]:
    """The monitor's results by the keys of this benchmark (``QualityResult.key``)."""
    return {r.key: Verdict(r.passed, r.failing_rows,
                           r.value if r.check in STATISTIC_KINDS else None) for r in results}


def kinds_as_referenced(parquet_path: Path) -> dict[str, str]:
    """Each column's kind as a monitor's reference profile gives it (inside the clock: a
    profile of the first 20,000 rows, as a reference of the same data would read them)."""
    from monitor.analysis.window import reference_kinds
    from monitor.profiles import build_profile

    head = pq.ParquetFile(parquet_path).iter_batches(batch_size=20_000)
    profile = build_profile([next(head).to_pandas()])
    return reference_kinds(profile)


def run_monitor_local(parquet_path: Path, checks_path: Path) -> dict[str, Verdict]:
    """The monitor's checks on the Parquet file, in this process: the file source's chunks
    through the engine ``monitor compare --checks`` and a file monitor run."""
    from monitor.checks.local import CheckAccumulator
    from monitor.rules.checkfile import load_checks
    from monitor.sources.files import FileSource

    plan = load_checks(checks_path, os.environ, known=("logged_at",))
    checks = CheckAccumulator(plan, kinds_as_referenced(parquet_path))
    for chunk in FileSource(FileSource.Config(type="file", path=str(parquet_path))).read():
        checks.update(chunk)
    return verdicts_from_results(checks.results())


def run_monitor_pushdown(url: str, schema: str, table: str, checks_path: Path,
                         parquet_path: Path) -> dict[str, Verdict]:
    """The monitor's checks pushed down into the PostgreSQL table, as a ``sql`` table source
    runs them for a window (here one that holds every row)."""
    from datetime import UTC, datetime

    from monitor.rules.checkfile import load_checks
    from monitor.sources.sql import SqlSource

    plan = load_checks(checks_path, os.environ, known=("logged_at",))
    source = SqlSource(SqlSource.Config(type="sql", url=url, table=f"{schema}.{table}",
                                        timestamp="logged_at", timeout=None))
    results = source.check_window(datetime(2000, 1, 1, tzinfo=UTC),
                                  datetime(2100, 1, 1, tzinfo=UTC), plan,
                                  kinds_as_referenced(parquet_path))
    if results is None:
        raise SystemExit("the source did not push the checks down")
    return verdicts_from_results(results)


GX_CONDITIONS = {
    # A condition is free text for the monitor; GX has one expectation per shape. These two
    # agree with the monitor's reading (undefined passes) as long as ``status`` has no nulls.
    "approved_at >= applied_at": lambda gxe, Column: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="approved_at", column_B="applied_at", or_equal=True,
        ignore_row_if="either_value_is_missing"),
    "amount > 0 or status == 'void'": lambda gxe, Column: gxe.ExpectColumnValuesToBeBetween(
        column="amount", min_value=0, strict_min=True, row_condition=Column("status") != "void"),
}


def gx_expectations(check: Check, missing: dict[str, list[Any]], sql: bool) -> list[Any]:
    """The GX 1.x expectations that ask what ``check`` asks (several are summed)."""
    import importlib

    from great_expectations.expectations.row_conditions import Column

    gxe: Any = importlib.import_module("great_expectations.expectations")
    p, column = check.params, check.column
    base: dict[str, Any] = {"meta": {"check": check.key}}
    if check.tolerance.max_rows is not None:
        raise SystemExit(f"{check.key}: max_rows has no GX equivalent")
    if check.tolerance.max_share is not None:
        base["mostly"] = 1 - check.tolerance.max_share
    if column is not None:
        base["column"] = column
        if column in missing and check.kind != "missing":  # look at present values only
            base["row_condition"] = Column(column).is_not_in(missing[column])
    if check.kind in STATISTIC_KINDS:
        base.pop("mostly", None)
    match check.kind:
        case "missing":
            found: list[Any] = [gxe.ExpectColumnValuesToNotBeNull(**base)]
            if column in missing:
                found.append(gxe.ExpectColumnValuesToNotBeInSet(value_set=missing[column], **base))
            return found
        case "range":
            return [gxe.ExpectColumnValuesToBeBetween(min_value=p.get("min"),
                                                      max_value=p.get("max"), **base)]
        case "allowed":
            return [gxe.ExpectColumnValuesToBeInSet(value_set=p["values"], **base)]
        case "pattern" | "format":
            regex = p["regex"] if check.kind == "pattern" else FORMATS[p["name"]]
            return [gxe.ExpectColumnValuesToMatchRegex(regex=regex, **base)]
        case "length":
            return [gxe.ExpectColumnValueLengthsToBeBetween(min_value=p.get("min"),
                                                            max_value=p.get("max"), **base)]
        case "unique":
            return [gxe.ExpectColumnValuesToBeUnique(**base)]
        case "mean":
            return [gxe.ExpectColumnMeanToBeBetween(min_value=p.get("min"),
                                                    max_value=p.get("max"), **base)]
        case "stddev":
            return [gxe.ExpectColumnStdevToBeBetween(min_value=p.get("min"),
                                                     max_value=p.get("max"), **base)]
        case "quantile":  # pandas: linear, as the monitor; SQL: percentile_disc (GX's only one)
            ranges = {"quantiles": [p["q"]], "value_ranges": [[p.get("min"), p.get("max")]]}
            return [gxe.ExpectColumnQuantileValuesToBeBetween(
                quantile_ranges=ranges, allow_relative_error=False if sql else "linear", **base)]
        case "condition":
            make = GX_CONDITIONS.get(p["condition"])
            if make is None:
                return []
            expectation = make(gxe, Column)
            expectation.meta = base["meta"]
            return [expectation]
        case "duplicates":
            return [gxe.ExpectCompoundColumnsToBeUnique(column_list=p["columns"], **base)]
    return []


def run_gx(batch_definition: Any, context: Any, checks_path: Path, sql: bool,
           ) -> dict[str, Verdict]:
    """One GX suite of every check over the whole batch; results merged back per check."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    checks, missing = load_checks(checks_path)
    suite = context.suites.add(gx.ExpectationSuite(name="loans"))
    for check in checks:
        for expectation in gx_expectations(check, missing, sql):
            suite.add_expectation(expectation)
    # Batch.validate rather than ValidationDefinition.run: the latter stores its result as JSON
    # and fails on the numpy booleans some expectations report under numpy 2.
    outcome = batch_definition.get_batch().validate(suite, result_format="BASIC")
    merged: dict[str, Verdict] = {}
    for result in outcome.results:
        key = result.expectation_config.meta["check"]
        info = result.exception_info or {}  # flat, or one entry per metric that failed
        for item in [info] if "raised_exception" in info else list(info.values()):
            if isinstance(item, dict) and item.get("raised_exception"):
                raise RuntimeError(f"{key}: {item.get('exception_message')}")
        value = result.result.get("observed_value")
        if isinstance(value, dict):  # quantiles
            value = value["values"][0]
        failing = result.result.get("unexpected_count")
        before = merged.get(key)
        if before is not None:
            failing = None if failing is None or before.failing is None \
                else before.failing + failing
        merged[key] = Verdict(bool(result.success) and (before is None or before.passed),
                              failing, None if value is None else float(value))
    return merged


def run_gx_pandas(parquet_path: Path, checks_path: Path) -> dict[str, Verdict]:
    """GX's pandas data source reading the Parquet file."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset: Any = context.data_sources.add_pandas("parquet").add_parquet_asset("loans",
                                                                              parquet_path)
    return run_gx(asset.add_batch_definition_whole_dataframe("all"), context, checks_path, False)


def run_gx_sql(url: str, schema: str, table: str, checks_path: Path) -> dict[str, Verdict]:
    """GX's PostgreSQL data source on the loaded table: every expectation runs as SQL."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres("postgres", connection_string=url)
    asset = source.add_table_asset("loans", table_name=table, schema_name=schema)
    return run_gx(asset.add_batch_definition_whole_table("all"), context, checks_path, True)


Runner = Callable[[argparse.Namespace], dict[str, Verdict]]
CONTENDERS: dict[str, tuple[str, str, Runner]] = {
    # id: (shown as, module imported before the clock, runner)
    "monitor-local": ("monitor, Parquet in process", "monitor.api",
                      lambda a: run_monitor_local(a.parquet, a.checks)),
    "monitor-pushdown": ("monitor, PostgreSQL push-down", "monitor.api",
                         lambda a: run_monitor_pushdown(a.url, SCHEMA, TABLE, a.checks,
                                                        a.parquet)),
    "gx-pandas": ("GX 1.x pandas, Parquet", "great_expectations",
                  lambda a: run_gx_pandas(a.parquet, a.checks)),
    "gx-sql": ("GX 1.x SQL, PostgreSQL", "great_expectations",
               lambda a: run_gx_sql(a.url, SCHEMA, TABLE, a.checks)),
}


def child(args: argparse.Namespace) -> None:
    """Run one contender in this process and write its seconds and verdicts as JSON."""
    import importlib

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _, module, runner = CONTENDERS[args.contender]
    importlib.import_module(module)
    began = time.perf_counter()
    try:
        verdicts, error = runner(args), None
    except NotImplementedError as exc:
        verdicts, error = {}, f"not run: {exc}"
    seconds = time.perf_counter() - began
    Path(args.out).write_text(json.dumps({
        "seconds": seconds, "error": error, "peak_mb": peak_rss_mb(), "verdicts": {
        key: [bool(v.passed), None if v.failing is None else int(v.failing),
              None if v.value is None else float(v.value)] for key, v in verdicts.items()}}))


def peak_rss_mb() -> float:
    """This process's own peak resident memory since it started its program (``VmHWM``).

    Not ``ru_maxrss`` from ``wait4``: Linux carries the memory high-water mark across
    ``exec``, so a child started from a parent holding the generated table reports at least the
    parent's resident memory.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status: the peak memory needs Linux")


# --- the harness --------------------------------------------------------------------------------

COLUMNS_SQL = """CREATE TABLE {schema}.{table} (
  loan_id bigint, name text, email text, state text, age integer, amount double precision,
  income double precision, term_months integer, status text, applied_at timestamptz,
  approved_at timestamptz, day date, id_uuid text, logged_at timestamptz)"""


def postgres(url: str) -> Any:
    """A psycopg connection (autocommit) to the SQLAlchemy ``url``."""
    import psycopg
    from sqlalchemy import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(plain, autocommit=True)


def load_postgres(url: str, table: pa.Table) -> None:
    """The table into a schema of its own by COPY, then VACUUM ANALYZE: right after a bulk load
    the planner's statistics say the table is empty (as ``console.py`` found), and the first
    scan would pay for setting every row's hint bits, a cost only the first contender bears."""
    buffer = io.BytesIO()  # CSV: an unquoted empty field is NULL, a quoted one the empty string
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False,
                                                        quoting_style="all_valid"))
    with postgres(url) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        connection.execute(f"CREATE SCHEMA {SCHEMA}")
        connection.execute(COLUMNS_SQL.format(schema=SCHEMA, table=TABLE))
        view = buffer.getbuffer()
        with connection.cursor().copy(f"COPY {SCHEMA}.{TABLE} FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, len(view), 1 << 24):
                copy.write(view[start:start + (1 << 24)])
        connection.execute(f"VACUUM ANALYZE {SCHEMA}.{TABLE}")


def drop_schema(url: str) -> None:
    """Leave the test database as it was."""
    with postgres(url) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def run_contender(key: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One contender as a process of its own: its JSON (seconds, verdicts, peak RSS) and the
    process's wall seconds."""
    out, errors = folder / f"{key}.json", folder / f"{key}.stderr"
    command = [sys.executable, str(Path(__file__).resolve()), "--contender", key,
               "--parquet", str(args.parquet), "--url", args.url, "--checks", str(args.checks),
               "--out", str(out)]
    began = time.perf_counter()
    with errors.open("wb") as stderr:
        process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=stderr, check=False)
    wall = time.perf_counter() - began
    if process.returncode != 0 or not out.exists():
        last = errors.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return {"error": f"failed ({process.returncode}): {last[0][:200]}"}
    result: dict[str, Any] = json.loads(out.read_text())
    result["verdicts"] = {k: Verdict(*v) for k, v in result["verdicts"].items()}
    result["wall"] = wall
    return result


def cell(verdict: Verdict | None) -> str:
    """``fail 120`` for a row check, ``pass 151.2`` for a statistic, ``n/a`` when not asked."""
    if verdict is None:
        return "n/a"
    word = "pass" if verdict.passed else "fail"
    if verdict.failing is not None:
        return f"{word} {verdict.failing:,}"
    return word if verdict.value is None else f"{word} {verdict.value:.6g}"


def report(rows: int, checks: list[Check], truth: dict[str, Verdict],
           results: dict[str, dict[str, Any]]) -> None:
    """The speed table, the verdict table, and where the verdicts disagree."""
    from compare_peers import machine

    print(f"\n{rows:,} rows, 14 columns, {len(checks)} checks; {machine()}\n")
    print("| contender | seconds | rows/s | peak MB | process s |")
    print("|---|---:|---:|---:|---:|")
    for key, result in results.items():
        name = CONTENDERS[key][0]
        if result.get("error"):
            print(f"| {name} | {result['error']} | | | |")
            continue
        seconds = result["seconds"]
        print(f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} | {result['peak_mb']:.0f} | "
              f"{result['wall']:.1f} |")
    ran = {key: r["verdicts"] for key, r in results.items() if not r.get("error")}
    print("\n| " + " | ".join(["check", "ground truth", *(CONTENDERS[k][0] for k in ran)])
          + " |")
    print("|---|---|" + "---|" * len(ran))
    disagree: list[str] = []
    for check in checks:
        cells = {"ground truth": truth.get(check.key)}
        cells |= {CONTENDERS[k][0]: v.get(check.key) for k, v in ran.items()}
        print(f"| {check.key} | " + " | ".join(cell(v) for v in cells.values()) + " |")
        said = {(v.passed, v.failing) for v in cells.values() if v is not None}
        if len(said) > 1:
            disagree.append(f"{check.key} (" + "; ".join(
                f"{who} {cell(v)}" for who, v in cells.items() if v is not None) + ")")
    if disagree:
        print(f"\nverdicts disagree on {len(disagree)} of {len(checks)} checks:")
        print("\n".join(f"- {line}" for line in disagree))
    else:
        print(f"\nverdicts agree on all {len(checks)} checks")
    print("\nGX counts every row of a repeated value as failing (unique, duplicates), the ground "
          "truth the rows beyond the first;\nGX checks `missing` with its values as "
          "not_be_null + not_be_in_set (failing rows summed) and, on SQL, quantiles as "
          "percentile_disc.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--checks", type=Path, default=HERE / "quality_checks.yaml")
    parser.add_argument("--url", default=os.environ.get("MONITOR_TEST_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--skip", action="append", default=[], choices=sorted(CONTENDERS),
                        help="contender to leave out")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (median kept)")
    parser.add_argument("--contender", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        child(args)
        return
    checks, _ = load_checks(args.checks)
    began = time.perf_counter()
    data = generate(args.rows)
    truth = ground_truth(checks, data)
    folder = Path(tempfile.mkdtemp(prefix="monitor-quality-"))
    args.parquet = folder / "loans.parquet"
    pq.write_table(data.table, args.parquet, row_group_size=100_000)
    print(f"generated {args.rows:,} rows and wrote {args.parquet.stat().st_size / 1e6:.0f} MB of "
          f"Parquet in {time.perf_counter() - began:.1f} s", flush=True)
    chosen = [key for key in CONTENDERS if key not in args.skip]
    try:
        if any(key.endswith(("pushdown", "sql")) for key in chosen):
            began = time.perf_counter()
            load_postgres(args.url, data.table)
            print(f"loaded {SCHEMA}.{TABLE} and analyzed it in "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
        del data
        results: dict[str, dict[str, Any]] = {}
        for key in chosen:
            runs = sorted((run_contender(key, args, folder) for _ in range(args.repeat)),
                          key=lambda r: r.get("seconds", math.inf))
            results[key] = runs[(len(runs) - 1) // 2]
            shown = results[key].get("error") or (f"{results[key]['seconds']:.2f} s, "
                                                  f"{results[key]['peak_mb']:.0f} MB")
            print(f"{CONTENDERS[key][0]}: {shown}", flush=True)
    finally:
        if any(key.endswith(("pushdown", "sql")) for key in chosen):
            drop_schema(args.url)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    report(args.rows, checks, truth, results)


if __name__ == "__main__":
    main()
