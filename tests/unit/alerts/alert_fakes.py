"""Builders for alert evaluation tests: monitors from plain dicts, analyses from metric dicts.

``Timeline`` plays windows through ``evaluate_alerts`` the way the runner
does, keeping the states between windows and the outbox as a dict keyed by
idempotency key (a repeated key is dropped, as the outbox's unique key does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts.evaluate import Evaluation, evaluate_alerts
from monitor.analysis.comparison import ColumnDrift, Comparison
from monitor.records import AlertStateRecord
from monitor.rules.schema import MonitorSpec
from monitor.windows import Window

T0 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def monitor(*alerts: dict[str, Any], **extra: Any) -> MonitorSpec:
    """An hourly file monitor with these alert rules."""
    return MonitorSpec.model_validate({
        "name": "credit", "schedule": {"every": "1h"}, "window": "1h",
        "source": {"type": "file", "path": "logs/*.parquet", "timestamp": "t"},
        "reference": {"profile": "train"}, "alerts": list(alerts), **extra,
    })


def comparison(drift_share: float = 0.0, drifted: Sequence[tuple[str, float]] = (),
               rows: int = 1000) -> Comparison:
    """A comparison of four columns where ``drifted`` (name, KS statistic) drifted."""
    names = [name for name, _ in drifted]
    columns = [ColumnDrift(name, "numeric", "ks", stat, 1e-6, 0.05, stat, True)
               for name, stat in drifted]
    columns += [ColumnDrift(f"c{i}", "numeric", "ks", 0.01, 0.9, 0.05, 0.01, False)
                for i in range(4 - len(names))]
    return Comparison(reference_rows=5000, current_rows=rows, columns=tuple(columns),
                      quality=(), drift_share=drift_share, dataset_drift=drift_share >= 0.5)


@dataclass(frozen=True)
class FakeAnalysis:
    """What evaluation reads of an analysis: rows, metrics, the comparison, segments."""

    rows: int
    values: Mapping[str, float]
    comparison: Comparison
    segments: Mapping[str, FakeAnalysis] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """The metric dict alert conditions read."""
        return {**self.comparison.metrics(), **self.values}


def analysis(drift_share: float = 0.0, rows: int = 1000, **values: float) -> FakeAnalysis:
    """An analysis with this drift share (and one drifted column when it is above 0)."""
    drifted = [("income", 0.31), ("age", 0.2)] if drift_share > 0 else []
    return FakeAnalysis(rows, values, comparison(drift_share, drifted, rows))


@dataclass
class Timeline:
    """Windows played in order through evaluate_alerts, with states and outbox kept."""

    spec: MonitorSpec
    states: dict[str, AlertStateRecord] = field(default_factory=dict)
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    hour: int = 0
    public_url: str | None = None

    def run(self, observed: FakeAnalysis | None, *, silences: Sequence[Any] = (),
            error: str | None = None, at: int | None = None,
            run_end: datetime | None = None) -> Evaluation:
        """Evaluate the next hour (or hour ``at``) and keep what it decided."""
        hour = self.hour if at is None else at
        window = Window(T0 + hour * HOUR, T0 + (hour + 1) * HOUR)
        now = window.end + timedelta(minutes=5)
        done = evaluate_alerts(self.spec, window, observed, dict(self.states), now,  # type: ignore[arg-type]
                               silences=silences, error=error, public_url=self.public_url,
                               run_end=run_end)
        self.states.update({s.alert_key: s for s in done.states})
        for note in done.notifications:
            self.outbox.setdefault(note.idempotency_key, note.payload)
        self.hour = max(self.hour, hour + 1)
        return done

    def sent(self) -> list[tuple[str, str]]:
        """(alert instance label, status) of every outbox row, in order."""
        return [(_label(p), p["status"]) for p in self.outbox.values()]


def _label(payload: Mapping[str, Any]) -> str:
    labels = payload["labels"]
    extra = "".join(f"[{labels[k]}]" for k in ("segment", "severity") if k in labels)
    return payload["alert"] + extra


@dataclass(frozen=True)
class FakeSilence:
    """A silence as routing reads it."""

    id: int
    alert: str
    starts_at: datetime
    ends_at: datetime
    monitor: str | None = None
    segment: str | None = None
    severity: str | None = None

    def active(self, now: datetime) -> bool:
        """Active between its start and end."""
        return self.starts_at <= now < self.ends_at
