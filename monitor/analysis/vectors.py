"""Drift of several numbers at once: multivariate methods on the joint row samples, embeddings.

``multivariate_drift`` runs the named methods of ``monitor.stats.multivariate``
over the numeric columns together; ``embedding_drift`` tests each embedding
both profiles hold with one method of ``monitor.stats.embedding`` (``mmd``
unless the options say otherwise). Both give p-values decided at their
threshold (0.05 by default), apart from the per-column drift share.

Metric names (``when:``): ``multivariate.<method>.statistic`` (``.p_value``,
``.drifted``) and ``embedding.<name>.statistic`` (``.p_value``, ``.drifted``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.profiles import Profile
from monitor.stats import get_multivariate
from monitor.stats.embedding import embedding_test

__all__ = ["EmbeddingDrift", "MultivariateDrift", "embedding_drift", "multivariate_drift",
           "vector_json", "vector_metrics"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MultivariateDrift:
    """The verdict of one multivariate method over the numeric columns."""

    method: str
    statistic: float
    p_value: float | None
    threshold: float
    effect_size: float | None
    drifted: bool


@dataclass(frozen=True, slots=True)
class EmbeddingDrift(MultivariateDrift):
    """The verdict of one method on one embedding."""

    embedding: str = ""
    dimension: int = 0


def multivariate_drift(reference: Profile, current: Profile, methods: Sequence[str]
                       ) -> tuple[MultivariateDrift, ...]:
    """Each named multivariate method's verdict (those that cannot run are skipped, logged)."""
    if not methods:
        return ()
    if reference.joint is None or current.joint is None:
        logger.warning("multivariate drift needs joint row samples in both profiles; "
                       "rebuild the reference profile to get one")
        return ()
    out = []
    for name in methods:
        method = get_multivariate(name)
        result = method.score(reference.joint, current.joint)
        if result is None:
            logger.info("multivariate method %s skipped: fewer than 2 varying numeric columns "
                        "or too few rows", name)
            continue
        p_value = result.p_value if result.p_value is not None else 1.0
        out.append(MultivariateDrift(name, result.statistic, result.p_value,
                                     method.default_threshold, result.effect_size,
                                     p_value < method.default_threshold))
    return tuple(out)


def embedding_drift(reference: Profile, current: Profile, method: str,
                    threshold: float | None = None) -> tuple[EmbeddingDrift, ...]:
    """Each embedding both profiles hold, tested by ``method`` (too few vectors: skipped)."""
    limit = 0.05 if threshold is None else threshold
    out = []
    for name, ref in reference.embeddings.items():
        cur = current.embeddings.get(name)
        if cur is None:
            continue
        result = embedding_test(method, ref, cur)
        if result is None:
            logger.info("embedding %s not tested: fewer than 10 vectors on a side", name)
            continue
        p_value = 1.0 if result.p_value is None else result.p_value
        out.append(EmbeddingDrift(method, result.statistic, result.p_value, limit,
                                  result.effect_size, p_value < limit, name, ref.dimension))
    return tuple(out)


def vector_json(found: MultivariateDrift) -> dict[str, Any]:
    """A verdict's JSON fields (non-finite numbers as null)."""
    return {"method": found.method, "statistic": _finite(found.statistic),
            "p_value": _finite(found.p_value), "threshold": _finite(found.threshold),
            "effect_size": _finite(found.effect_size), "drifted": found.drifted}


def vector_metrics(multivariate: Sequence[MultivariateDrift],
                   embeddings: Sequence[EmbeddingDrift]) -> dict[str, float]:
    """``multivariate.<method>.*`` and ``embedding.<name>.*`` numbers for alert conditions."""
    out = {}
    named = [(f"multivariate.{m.method}", m) for m in multivariate]
    named += [(f"embedding.{e.embedding}", e) for e in embeddings]
    for prefix, found in named:
        out[f"{prefix}.statistic"] = found.statistic
        out[f"{prefix}.p_value"] = math.nan if found.p_value is None else found.p_value
        out[f"{prefix}.drifted"] = 1.0 if found.drifted else 0.0
    return out


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
