"""Messages sent by a flapping alert, and the cost of one evaluation.

A condition that holds in each window with probability ``p`` (independently)
is played through ``evaluate_alerts`` for ``W`` windows, as the runner would,
for several ``for`` / ``keep_firing_for`` settings. The table gives the
messages sent (firing + resolved, one notifier) per 100 windows, against the
upper bound of one message per window; the last line the time one
evaluation of a rule takes (states read and written in memory).

    python benchmarks/alert_flapping.py [--windows W] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.alerts.evaluate import evaluate_alerts
from monitor.analysis.comparison import Comparison
from monitor.rules.schema import MonitorSpec
from monitor.windows import Window

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
EMPTY = Comparison(reference_rows=1000, current_rows=1000, columns=(), quality=(),
                   drift_share=0.0, dataset_drift=False)


@dataclass(frozen=True)
class Observed:
    """The part of an analysis alert evaluation reads."""

    share: float
    rows: int = 1000
    comparison: Comparison = EMPTY
    segments: dict[str, object] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Only drift_share matters here."""
        return {"drift_share": self.share}


def spec(for_: int, keep: int) -> MonitorSpec:
    """An hourly monitor with one rule, for and keep_firing_for as given."""
    return MonitorSpec.model_validate({
        "name": "m", "schedule": {"every": "1h"}, "window": "1h",
        "source": {"type": "file", "path": "x.parquet", "timestamp": "t"},
        "reference": {"profile": "p"},
        "alerts": [{"name": "drift", "when": "drift_share > 0.3", "for": for_,
                    "keep_firing_for": keep, "notify": ["hook"]}],
    })


def play(monitor: MonitorSpec, holds: list[bool]) -> tuple[int, float]:
    """Messages sent over the windows, and seconds per evaluation."""
    states: dict = {}
    sent = 0
    began = time.perf_counter()
    for i, h in enumerate(holds):
        window = Window(T0 + i * HOUR, T0 + (i + 1) * HOUR)
        done = evaluate_alerts(monitor, window, Observed(0.5 if h else 0.1),  # type: ignore[arg-type]
                               states, window.end)
        states.update({s.alert_key: s for s in done.states})
        sent += len(done.notifications)
    return sent, (time.perf_counter() - began) / len(holds)


def main() -> None:
    """Print the table of messages per 100 windows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = [(1, 0), (2, 0), (1, 1), (1, 2), (2, 2)]
    print("| p(holds) | " + " | ".join(f"for {f}, keep {k}" for f, k in settings) + " |")
    print("|---" * (len(settings) + 1) + "|")
    seconds = []
    for p in (0.1, 0.3, 0.5, 0.7, 0.9):
        rng = random.Random(args.seed)
        holds = [rng.random() < p for _ in range(args.windows)]
        row = []
        for for_, keep in settings:
            sent, per = play(spec(for_, keep), holds)
            row.append(f"{100 * sent / args.windows:.1f}")
            seconds.append(per)
        print(f"| {p} | " + " | ".join(row) + " |")
    print(f"\none evaluation: {1e6 * sum(seconds) / len(seconds):.0f} µs on average "
          f"({args.windows} windows × {len(seconds)} runs)")


if __name__ == "__main__":
    main()
