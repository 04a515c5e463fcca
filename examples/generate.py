"""Generate the example data set: credit-scoring training data and production logs.

The production logs cover the 48 hours before ``--now`` (default: the current
hour), 1,500 rows an hour. The last 6 hours drift the way real pipelines do:
applicants get older and richer, one state's share jumps, the model's score
moves with them, and a broken upstream job leaves 8% of ``debt_ratio`` empty.
The same ``--now`` and ``--seed`` always give the same files.

    python examples/generate.py                # writes examples/data/
    python examples/generate.py --now 2026-11-24T12:00:00Z --out /tmp/data
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

STATES = ["CA", "NY", "TX", "FL", "WA"]
STATE_MIX = [0.35, 0.25, 0.2, 0.12, 0.08]
DRIFTED_STATE_MIX = [0.22, 0.2, 0.4, 0.1, 0.08]
PRODUCTS = ["card", "loan", "mortgage"]
PRODUCT_MIX = [0.5, 0.35, 0.15]
HOURS = 48
DRIFT_HOURS = 6
ROWS_PER_HOUR = 1500


def applicants(rng: np.random.Generator, n: int, *, drifted: bool) -> pd.DataFrame:
    """Draw ``n`` loan applicants; ``drifted`` shifts age, income and the state mix."""
    age = rng.normal(47 if drifted else 41, 12, n).clip(18, 90).round()
    income = rng.lognormal(np.log(52_000) + (0.25 if drifted else 0.0), 0.45, n).round(-2)
    debt_ratio = rng.beta(2, 5, n).round(4)
    credit_lines = rng.poisson(4, n)
    loan_amount = (rng.gamma(2.0, 6_000, n) + 1_000).round(-2)
    state = rng.choice(STATES, n, p=DRIFTED_STATE_MIX if drifted else STATE_MIX)
    product = rng.choice(PRODUCTS, n, p=PRODUCT_MIX)
    logit = (-1.2 + 3.0 * debt_ratio - 0.000012 * income + 0.08 * credit_lines
             - 0.01 * (age - 40) + rng.normal(0, 0.3, n))
    score = (1 / (1 + np.exp(-logit))).round(4)
    frame = pd.DataFrame({
        "request_id": [f"r{v:012x}" for v in rng.integers(0, 2**48, n)],
        "age": age, "income": income, "debt_ratio": debt_ratio,
        "credit_lines": credit_lines, "loan_amount": loan_amount,
        "state": state, "product": product, "score": score,
        "defaulted": (rng.random(n) < score).astype(int),
    })
    if drifted:
        frame.loc[rng.random(n) < 0.08, "debt_ratio"] = np.nan
    return frame


def production(rng: np.random.Generator, now: datetime) -> pd.DataFrame:
    """Hourly production logs for the ``HOURS`` hours before ``now``."""
    hours = []
    first = now - timedelta(hours=HOURS)
    for hour in range(HOURS):
        start = first + timedelta(hours=hour)
        frame = applicants(rng, ROWS_PER_HOUR, drifted=hour >= HOURS - DRIFT_HOURS)
        offsets = np.sort(rng.integers(0, 3600 * 1000, ROWS_PER_HOUR))
        frame.insert(0, "logged_at", pd.Timestamp(start) + pd.to_timedelta(offsets, unit="ms"))
        hours.append(frame)
    return pd.concat(hours, ignore_index=True)


def write(out: Path, now: datetime, seed: int) -> None:
    """Write ``train.parquet`` and one Parquet file per day of production logs."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    applicants(rng, 20_000, drifted=False).to_parquet(out / "train.parquet", index=False)
    logs = out / "production"
    logs.mkdir(exist_ok=True)
    for old in logs.glob("*.parquet"):
        old.unlink()
    frame = production(rng, now)
    for day, part in frame.groupby(frame["logged_at"].dt.strftime("%Y-%m-%d")):
        part.to_parquet(logs / f"{day}.parquet", index=False)
    print(f"wrote {out / 'train.parquet'} (20000 rows) and {len(frame)} production rows "
          f"in {logs}/ up to {now.isoformat()}; the last {DRIFT_HOURS} hours drift")


def main() -> None:
    """Parse the flags and write the files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--now", help="end of the production logs (ISO time, UTC)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    now = (datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now
           else datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    write(args.out, now.astimezone(UTC), args.seed)


if __name__ == "__main__":
    main()
