"""A monitor's verdict, ``ok``, ``watch`` or ``retrain``, from the signals of its recent windows.

Alerts say that something changed; an operator also needs to know whether
the model should be retrained. ``decide`` answers that from the last windows
of one monitor (or segment), oldest first, under the monitor's ``retrain:``
block (``RetrainSpec``). It trusts, in this order: model metrics measured
from labels (realized), metrics estimated without labels, drift of the
features named ``important``, drift of other columns.

The policy, with N = ``windows``, P = ``persistence``, D = ``drift_persistence``:

- Only windows with at least ``min_rows`` rows are evidence, and only the last
  N of those (the considered windows).
- A metric is beyond its floor when below it (or above it, for a ceiling:
  ``mae``, ``rmse``, ``mape``, ``log_loss``, ``calibration_error``). Without
  ``floors`` no metric is judged: performance never weighs in.
- Realized beyond the floor in at least P of the considered windows where it
  was measured, or in every one of them when 2 to P-1 were measured:
  ``retrain``.
- Estimated beyond the floor in at least P considered windows: ``retrain``,
  unless realized values measured from the first of those windows on are
  all within the floor: then ``watch`` (the labels say the model is fine).
  An estimate whose whole band (``lower``..``upper``) lies beyond the floor
  is counted apart as certain; its value beyond the floor makes it likely.
- Estimated or realized beyond the floor in at least one considered window:
  ``watch``.
- An important feature that drifted with an effect of at least
  ``large_effect`` in each of the last D considered windows: ``watch``; and
  ``retrain`` when no performance signal exists at all (no floors, or no
  floored metric ever estimated or measured in the history). Other columns
  drifting so: ``watch`` at most. A drift without an effect size is not large.
- Failed quality checks in the newest window: at least ``watch``, with a
  reason to fix the data before retraining (a ``retrain`` stays, with it).
- A reference younger than ``min_age`` turns ``retrain`` into ``watch``.

Every verdict comes with reasons in words, with the numbers (an ``ok`` too),
``since`` (the start of the earliest window from which the verdict has been
the same, found by deciding on every prefix of the history) and ``evidence``,
a JSON-ready account of the numbers behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.rules.metric_names import VERDICT_LEVELS
from monitor.rules.retrain import RetrainSpec, is_ceiling
from monitor.times import format_duration, format_time

__all__ = ["VERDICTS", "VERDICT_LEVELS", "Verdict", "WindowSignals", "decide"]

VERDICTS = ("ok", "watch", "retrain")
_SHOWN_CHECKS = 5  # failed quality checks named in a reason


@dataclass(frozen=True, slots=True)
class WindowSignals:
    """What one window (of a monitor, or of one of its segments) says about the model."""

    start: datetime
    end: datetime
    rows: int
    estimated: Mapping[str, tuple[float, float | None, float | None]]
    """Metric -> (value, lower, upper) estimated without labels."""
    realized: Mapping[str, float]
    """Metrics measured from labels in this run."""
    drifted: Mapping[str, float | None]
    """Drifted column -> its effect size (None when the method has none)."""
    quality_failed: tuple[str, ...]
    """Failed quality checks, as ``check:column``."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """``ok``, ``watch`` or ``retrain``, why, since when, and the numbers behind it."""

    verdict: str
    reasons: tuple[str, ...]
    since: datetime | None
    evidence: Mapping[str, Any]

    def to_dict(self, monitor: str, segment: str | None = None) -> dict[str, Any]:
        """The verdict as ``monitor advise --format json`` prints it."""
        return {"monitor": monitor, **({"segment": segment} if segment is not None else {}),
                "verdict": self.verdict, "reasons": list(self.reasons),
                "since": None if self.since is None else format_time(self.since, "seconds"),
                "evidence": dict(self.evidence)}


def decide(policy: RetrainSpec, history: Sequence[WindowSignals], *,
           reference_built: datetime | None, now: datetime) -> Verdict:
    """The verdict on ``history`` (oldest first, the newest the window just run)."""
    level, reasons, evidence = _judge(policy, history, reference_built, now)
    start = len(history)
    while start > 1 and _judge(policy, history[:start - 1], reference_built, now)[0] == level:
        start -= 1
    since = history[start - 1].start if history else None
    return Verdict(VERDICTS[level], tuple(r.replace("; ", ", ") for r in reasons), since,
                   evidence)


def _judge(policy: RetrainSpec, history: Sequence[WindowSignals],
           built: datetime | None, now: datetime) -> tuple[int, list[str], dict[str, Any]]:
    qualifying = [w for w in history if w.rows >= policy.min_rows]
    considered = qualifying[-policy.windows:]
    reasons: list[str] = []
    level = 0
    if not considered:
        reasons.append(f"no window with at least {policy.min_rows} rows yet: nothing to judge")
    perf_signal = any(m in w.estimated or m in w.realized for w in history for m in policy.floors)
    if considered:
        if not policy.floors:
            reasons.append("no performance floors set")
        for metric, bound in policy.floors.items():
            metric_level, reason = _metric(policy, metric, bound, considered)
            level = max(level, metric_level)
            reasons.append(reason)
        drift_level, drift_reasons = _drift(policy, qualifying, perf_signal)
        level = max(level, drift_level)
        reasons += drift_reasons
    failed = history[-1].quality_failed if history else ()
    if failed:
        level = max(level, 1)
        shown = ", ".join(failed[:_SHOWN_CHECKS]) + (", ..." if len(failed) > _SHOWN_CHECKS
                                                      else "")
        plural = "s" if len(failed) > 1 else ""
        reasons.append(f"{len(failed)} quality check{plural} failed in the newest window "
                       f"({shown}): fix the data before retraining on it")
    elif history:
        reasons.append("data quality fine")
    if level == 2 and built is not None and timedelta(0) < policy.min_age and (
            now - built < policy.min_age):
        level = 1
        age = format_duration(timedelta(seconds=max(int((now - built).total_seconds()), 0)))
        reasons.append(f"the reference is only {age} old, younger than min_age "
                       f"{format_duration(policy.min_age)}: retrain held back to watch")
    return level, reasons, _evidence(policy, history, considered, qualifying, built)


def _beyond(metric: str, value: float, bound: float) -> bool:
    return value > bound if is_ceiling(metric) else value < bound


def _metric(policy: RetrainSpec, metric: str, bound: float,
            considered: Sequence[WindowSignals]) -> tuple[int, str]:
    """The level one floored metric gives, and the reason in words."""
    side, kind = ("above", "ceiling") if is_ceiling(metric) else ("below", "floor")
    limit = f"the {_num(bound)} {kind}"
    realized = [(w, w.realized[metric]) for w in considered
                if metric in w.realized and math.isfinite(w.realized[metric])]
    estimated = [(w, w.estimated[metric]) for w in considered
                 if metric in w.estimated and math.isfinite(w.estimated[metric][0])]
    r_bad = [w for w, value in realized if _beyond(metric, value, bound)]
    e_bad = [w for w, (value, _, _) in estimated if _beyond(metric, value, bound)]
    n, p = len(realized), policy.persistence
    if r_bad and ((n >= p and len(r_bad) >= p) or (2 <= n < p and len(r_bad) == n)):
        value = realized[-1][1]
        if n < p:
            return 2, (f"realized {metric} {_num(value)}, {side} {limit} on the {n} windows "
                       "labelled so far")
        return 2, (f"realized {metric} {_num(value)}, {side} {limit} in {len(r_bad)} of the "
                   f"{n} labelled windows among the last {len(considered)}")
    if len(e_bad) >= p:
        text = _estimate_phrase(metric, estimated, e_bad, bound, len(considered))
        since_first = [v for w, v in realized if w.start >= e_bad[0].start]
        if since_first and not any(_beyond(metric, v, bound) for v in since_first):
            return 1, (f"{text}, but realized {metric} says fine "
                       f"({_num(since_first[-1])} on the {len(since_first)} windows labelled "
                       "since)")
        return 2, text
    if e_bad:
        return 1, _estimate_phrase(metric, estimated, e_bad, bound, len(considered))
    if r_bad:
        worst = max if is_ceiling(metric) else min
        return 1, (f"realized {metric} {side} {limit} in {len(r_bad)} of the {n} labelled "
                   f"windows among the last {len(considered)} (worst "
                   f"{_num(worst(v for _, v in realized))}, latest {_num(realized[-1][1])})")
    fine = [f"estimated {metric} {_num(estimated[-1][1][0])}"] if estimated else []
    fine += [f"realized {metric} {_num(realized[-1][1])}"] if realized else []
    if not fine:
        return 0, f"no {metric} estimated or measured in the last {len(considered)} windows"
    return 0, f"{' and '.join(fine)}, {'below' if is_ceiling(metric) else 'above'} {limit}"


def _estimate_phrase(metric: str, estimated: Sequence[tuple[WindowSignals, tuple[
        float, float | None, float | None]]], bad: Sequence[WindowSignals], bound: float,
        considered: int) -> str:
    side, kind = ("above", "ceiling") if is_ceiling(metric) else ("below", "floor")
    value, lower, upper = estimated[-1][1]
    band = f" (band {_num(lower)} to {_num(upper)})" if lower is not None and upper is not None \
        else ""
    # The bound on the far side of the floor: the upper one for a floor, the lower for a ceiling.
    edges = [lo if is_ceiling(metric) else hi for _, (_, lo, hi) in estimated]
    far = [edge for edge in edges if edge is not None and _beyond(metric, edge, bound)]
    certain = f", the whole band in {len(far)}" if far else ""
    count = f"in {len(bad)} of the last {considered} windows{certain}"
    if _beyond(metric, value, bound):
        return f"estimated {metric} {_num(value)}{band}, {side} the {_num(bound)} {kind} {count}"
    worst = (max if is_ceiling(metric) else min)(v for _, (v, _, _) in estimated)
    return (f"estimated {metric} {side} the {_num(bound)} {kind} {count} (worst "
            f"{_num(worst)}, now {_num(value)}{band})")


def _large(policy: RetrainSpec, window: WindowSignals, column: str) -> bool:
    effect = window.drifted.get(column)
    return effect is not None and math.isfinite(effect) and abs(effect) >= policy.large_effect


def _streak_start(windows: Sequence[WindowSignals], column: str,
                  counts: Callable[[WindowSignals, str], bool]) -> tuple[datetime, int]:
    """The start of the newest windows in which ``counts(window, column)`` held, and how many.

    ``counts`` must hold in the newest window.
    """
    length = 0
    while length < len(windows) and counts(windows[-1 - length], column):
        length += 1
    return windows[-max(length, 1)].start, length


def _drift(policy: RetrainSpec, qualifying: Sequence[WindowSignals],
           perf_signal: bool) -> tuple[int, list[str]]:
    """The level lasting large drift gives, and its reasons (one per group of columns)."""
    recent = qualifying[-policy.drift_persistence:]
    if len(recent) < policy.drift_persistence:
        return 0, ["no persistent drift"]
    lasting = [c for c in recent[-1].drifted if all(_large(policy, w, c) for w in recent)]
    if not lasting:
        return 0, ["no persistent drift"]
    level, reasons = 0, []
    for important in (True, False):
        columns = [c for c in lasting if (c in policy.important) == important]
        if not columns:
            continue
        groups: dict[datetime, list[str]] = {}
        for column in columns:
            start, _ = _streak_start(qualifying, column, lambda w, c: _large(policy, w, c))
            effect = recent[-1].drifted[column]
            groups.setdefault(start, []).append(f"{column} (effect {_num(effect)})")
        what = "important feature" if important else "column"
        for start, named in sorted(groups.items()):
            plural = "s" if len(named) > 1 else ""
            text = (f"{what}{plural} {_and(named)} drifted with large effect (>= "
                    f"{_num(policy.large_effect)}) since {format_time(start, 'seconds')}")
            if important and not perf_signal:
                text += ", and no model metric to judge the model by"
            reasons.append(text)
        level = max(level, 2 if important and not perf_signal else 1)
    return level, reasons


def _evidence(policy: RetrainSpec, history: Sequence[WindowSignals],
              considered: Sequence[WindowSignals], qualifying: Sequence[WindowSignals],
              built: datetime | None) -> dict[str, Any]:
    """The numbers behind the verdict, ready for JSON."""
    metrics: dict[str, dict[str, Any]] = {}
    for window in considered:
        start = _iso(window.start)
        for name, (value, lower, upper) in window.estimated.items():
            entry = metrics.setdefault(name, _metric_entry(policy, name))
            entry["estimated"].append({"start": start, "value": _finite(value),
                                       "lower": _finite(lower), "upper": _finite(upper)})
        for name, value in window.realized.items():
            entry = metrics.setdefault(name, _metric_entry(policy, name))
            entry["realized"].append({"start": start, "value": _finite(value)})
    drifted: dict[str, dict[str, Any]] = {}
    if considered:
        for column, effect in considered[-1].drifted.items():
            began, length = _streak_start(qualifying, column, lambda w, c: c in w.drifted)
            drifted[column] = {"effect": _finite(effect), "since": _iso(began),
                               "windows": length, "large": _large(policy, considered[-1], column),
                               "important": column in policy.important}
    return {
        "windows": {"considered": len(considered), "min_rows": policy.min_rows,
                    "first": _iso(considered[0].start) if considered else None,
                    "last": _iso(considered[-1].end) if considered else None,
                    "too_small": len(history) - len(qualifying)},
        "metrics": metrics,
        "drifted": drifted,
        "quality_failed": list(history[-1].quality_failed) if history else [],
        "reference_built": None if built is None else _iso(built),
    }


def _metric_entry(policy: RetrainSpec, metric: str) -> dict[str, Any]:
    bound = policy.floors.get(metric)
    return {"bound": bound,
            "direction": None if bound is None else ("ceiling" if is_ceiling(metric) else "floor"),
            "estimated": [], "realized": []}


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _num(value: float | None) -> str:
    """A number for a sentence: three significant digits, whole numbers from 1000 on."""
    if value is None:
        return "?"
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _iso(moment: datetime) -> str:
    return format_time(moment, "seconds")
