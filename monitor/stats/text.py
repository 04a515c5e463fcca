"""Vocabulary drift: do a window's texts use the reference's words as often?

The test reads two ``TextSummary``s counted on one vocabulary (the
reference's top words and 3-grams, plus hash buckets for the rest; see
``monitor.profiles.text``). Each cell counts documents, not tokens: a word
repeated ten times in one review is one document, because the tokens of a
document are not independent. Documents are, so each cell's share
difference is a two-sample z with the binomial variance (vocabulary cells,
0/1 per document) or the reference reservoir's variance (bucket cells,
distinct tokens per document), and the statistic is

    S = Σ_j z_j²  over the cells expected ≥ ``MIN_EXPECTED`` times on each side.

**Calibration.** The cells are far from independent (a word and its
3-grams, a topic's words, long documents holding more of everything), so S
is not χ²(k): a plain chi-square on token counts rejects almost always on
large windows. Under no drift, S is a weighted sum of χ²₁ whose weights are
the eigenvalues of C, the correlation matrix of the cells within a
document, plus a finite-window excess from sparse cells. Its cumulants are
κ1 = tr C, κ2 = 2 tr C² + w·K4 and κ3 ≈ 8 tr C³, with K4 = Var‖y‖² − 2 tr C²
the documents' fourth cumulant and w = (1/n³ + 1/m³)/(1/n + 1/m)². tr C²
and tr C³ are estimated without bias on the reference's reservoir of at
most 1 000 documents (U-statistics over distinct pairs and triples, from
the documents' Gram matrix with its diagonal removed, so the k²/R bias of
the naive estimate goes away), and S is referred to the three-cumulant
approximation β0 + β1·χ²_d (Zhang 2005; Satterthwaite's matches two). The
weights do not depend on the window's size, so one reference calibrates
windows of any size: ``benchmarks/text_drift.py`` measures the false-alarm
rate from 500 to 100 000 documents.

``effect_size`` is the Jensen–Shannon distance between the two cell-count
profiles; ``drivers`` the vocabulary tokens whose share moved most.

References: J.-T. Zhang, "Approximate and asymptotic distributions of
chi-squared-type mixtures", JASA 100 (2005); S. X. Chen, Y.-L. Qin, "A
two-sample test for high-dimensional data", Ann. Statist. 38 (2010).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.profiles.text import BUCKETS, TextSummary, bucket, tokens
from monitor.stats.distances import jensenshannon

__all__ = ["MIN_DOCUMENTS", "MIN_EXPECTED", "TokenShift", "VocabularyResult",
           "reservoir_cells", "vocabulary_test"]

MIN_EXPECTED = 5.0
MIN_DOCUMENTS = 20
_DRIVERS = 5


@dataclass(frozen=True, slots=True)
class TokenShift:
    """A vocabulary token whose document share moved: reference and current shares."""

    token: str
    reference_share: float
    current_share: float


@dataclass(frozen=True, slots=True)
class VocabularyResult:
    """The vocabulary test: ``statistic`` S, its p-value, the JS distance, the cells tested."""

    statistic: float
    p_value: float
    effect_size: float
    cells: int
    drivers: tuple[TokenShift, ...]


def reservoir_cells(summary: TextSummary, texts: Sequence[str]) -> np.ndarray:
    """Each text's cells on ``summary``'s vocabulary (rows × cells, as ``summary.cells()``)."""
    words = {t: i for i, t in enumerate(summary.words)}
    offset = len(words)
    grams = {t: offset + i for i, t in enumerate(summary.grams)}
    word_base = offset + len(grams)
    gram_base = word_base + BUCKETS
    matrix = np.zeros((len(texts), gram_base + BUCKETS))
    for row, text in enumerate(texts):
        found_words, found_grams = tokens(text)
        for found, known, base in ((found_words, words, word_base),
                                   (found_grams, grams, gram_base)):
            for token in found:
                column = known.get(token)
                if column is None:
                    matrix[row, base + bucket(token)] += 1.0
                else:
                    matrix[row, column] = 1.0
    return matrix


def vocabulary_test(reference: TextSummary, current: TextSummary) -> VocabularyResult | None:
    """Test ``current`` against ``reference`` (module docstring); None when a side has fewer
    than ``MIN_DOCUMENTS`` documents, the reservoir is too small or no cell is common enough.

    Raises:
        ValueError: ``current`` was not counted on the reference's vocabulary.
    """
    if list(current.words) != list(reference.words) or list(current.grams) != list(
            reference.grams):
        raise ValueError("the current texts were not counted on the reference's vocabulary: "
                         "profile them with the reference")
    n, m = reference.documents, current.documents
    if min(n, m, len(reference.reservoir)) < MIN_DOCUMENTS:
        return None
    ref, cur = reference.cells(), current.cells()
    binary = np.zeros(ref.size, dtype=bool)
    binary[: len(reference.words) + len(reference.grams)] = True
    pooled = (ref + cur) / (n + m)
    variance = pooled * (1.0 - pooled)
    # Cells are chosen on the reference's shares: chosen on the pooled ones, a cell would
    # get in when the window happens to hold it often, and S would be biased upwards.
    share, smaller = ref / n, min(n, m)
    kept = (share * smaller >= MIN_EXPECTED) & ((1.0 - share) * smaller >= MIN_EXPECTED)
    kept &= variance > 0
    if not kept.any():
        return None
    scale = np.sqrt(variance[kept])
    z = (cur[kept] / m - ref[kept] / n) / (scale * math.sqrt(1 / m + 1 / n))
    statistic = float(np.sum(z**2))
    traces = _traces(reference, kept)
    p_value = _mixture_p_value(statistic, traces, binary[kept], pooled[kept], n, m)
    moved = np.argsort(-np.where(binary & kept, _square(cur / m - ref / n, variance), 0.0))
    names = [*reference.words, *reference.grams]
    drivers = tuple(TokenShift(names[j], float(ref[j] / n), float(cur[j] / m))
                    for j in moved[:_DRIVERS] if binary[j] and kept[j])
    return VocabularyResult(statistic, p_value, jensenshannon(ref + 0.5, cur + 0.5),
                            int(kept.sum()), drivers)


def _square(difference: np.ndarray, variance: np.ndarray) -> np.ndarray:
    squared: np.ndarray = np.divide(difference**2, variance, out=np.zeros_like(difference),
                                    where=variance > 0)
    return squared


_Traces = tuple[float, float, float]
_CACHE: list[tuple[weakref.ref[TextSummary], np.ndarray, dict[bytes, _Traces]]] = []


def _traces(reference: TextSummary, kept: np.ndarray) -> _Traces:
    """tr C², tr C³ and the buckets' variance ratio on the reference's reservoir (cells
    scaled by the reference's binomial variance, which the pooled one is under no drift).

    Kept for the last reference and each set of cells (windows of one size share it), as
    the reservoir's cells are: a window then costs its counts only.
    """
    if not (_CACHE and _CACHE[0][0]() is reference):
        _CACHE[:] = [(weakref.ref(reference), reservoir_cells(reference, reference.reservoir),
                      {})]
    _, cells, known = _CACHE[0]
    key = np.packbits(kept).tobytes()
    if key not in known:
        share = reference.cells()[kept] / reference.documents
        scale = np.sqrt(np.maximum(share * (1.0 - share), 1e-12))
        known[key] = _reservoir_traces((cells[:, kept] - share) / scale,
                                       np.arange(kept.size)[kept] >= len(reference.words)
                                       + len(reference.grams))
    return known[key]


def _reservoir_traces(standardised: np.ndarray, buckets: np.ndarray) -> _Traces:
    """Unbiased tr C² and tr C³ (distinct pairs and triples of documents), and the mean
    square of the bucket cells (docstring)."""
    size = len(standardised)
    gram = standardised @ standardised.T
    np.fill_diagonal(gram, 0.0)
    trace2 = float(np.sum(gram**2)) / (size * (size - 1))
    trace3 = float(np.sum((gram @ gram) * gram)) / (size * (size - 1) * (size - 2))
    ratio = float(np.mean(standardised[:, buckets] ** 2)) if buckets.any() else 1.0
    return trace2, trace3, ratio


def null_cumulants(traces: _Traces, binary: np.ndarray, share: np.ndarray, n: int,
                   m: int) -> tuple[float, float, float]:
    """κ1, κ2, κ3 of S under no drift, from the reservoir's traces (docstring).

    Bucket cells count distinct tokens, so their variance may exceed the binomial one
    that scales them: their κ1 share is the reservoir's ratio of the two, over all of them
    (the buckets are alike by hashing), not one noisy ratio per cell.
    """
    trace2, trace3, ratio = traces
    buckets = ~binary
    mean = float(np.count_nonzero(binary)) + ratio * float(np.count_nonzero(buckets))
    # Sparse cells: z_j is not quite normal; its excess kurtosis and squared skewness (those
    # of one document, a 0/1 of share p, scaled to the two windows) widen and skew S.
    spread = share * (1.0 - share)
    kurtosis = (1.0 - 6.0 * spread) / spread * (1 / m**3 + 1 / n**3) / (1 / m + 1 / n) ** 2
    skewness = (1.0 - 4.0 * spread) / spread * (1 / m**2 - 1 / n**2) ** 2 / (1 / m + 1 / n) ** 3
    return (mean, 2.0 * trace2 + float(np.sum(kurtosis)),
            8.0 * trace3 + float(np.sum(12.0 * kurtosis + 10.0 * skewness)))


def _mixture_p_value(statistic: float, traces: _Traces, binary: np.ndarray,
                     share: np.ndarray, n: int, m: int) -> float:
    """P(S ≥ statistic) under β0 + β1·χ²_d matched to the null's three cumulants."""
    from scipy import stats as sps  # imported on use: see monitor.stats.kolmogorov

    mean, variance, skew = null_cumulants(traces, binary, share, n, m)
    if not (variance > 0 and math.isfinite(variance)):
        return 1.0
    if not (skew > 0 and math.isfinite(skew)):
        return float(sps.norm.sf((statistic - mean) / math.sqrt(variance)))
    scale = skew / (4.0 * variance)
    freedom = 8.0 * variance**3 / skew**2
    shift = mean - scale * freedom
    return float(sps.chi2.sf((statistic - shift) / scale, freedom))
