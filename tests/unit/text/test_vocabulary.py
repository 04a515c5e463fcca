"""The vocabulary test: calibrated under no drift by simulation, and it sees real changes.

The calibration runs 300 windows against 20 references: the counts of each
are the column sums of texts drawn (with replacement) from a pool of 20 000
generated texts, so both sides are samples of one distribution, the pool's,
exactly; and a window costs microseconds, so the test file stays fast.
``benchmarks/text_drift.py`` runs the full simulation (fresh texts through
the whole profile, up to 100 000 per window). A naive chi-square on token
counts is run beside it to show the problem the calibration solves.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.profiles.text import TextSummary, words
from monitor.stats.text import reservoir_cells, vocabulary_test

from .corpus import Corpus

ALPHA = 0.05
WINDOWS = 300


Pool = tuple[Profile, sparse.csr_matrix, list[str], sparse.csr_matrix]


@pytest.fixture(scope="module")
def pool() -> Pool:
    """A reference profile (its vocabulary chosen on texts of its own), and the cells and
    the word counts (every occurrence) of a pool of 20 000 texts on that vocabulary."""
    rng = np.random.default_rng(11)
    corpus = Corpus()
    reference = build_profile([pd.DataFrame({"t": corpus.documents(rng, 4000)})],
                              kinds={"t": "text"})
    texts = corpus.documents(rng, 20_000)
    summary = reference.texts["t"]
    cells = sparse.vstack([sparse.csr_matrix(reservoir_cells(summary, texts[i:i + 2000]))
                           for i in range(0, len(texts), 2000)], format="csr")
    column = {w: i for i, w in enumerate(summary.words)}
    rows, columns = [], []
    for row, text in enumerate(texts):
        found = [column[w] for w in words(text) if w in column]
        rows += [row] * len(found)
        columns += found
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)),
                               shape=(len(texts), len(column)))
    return reference, cells, texts, counts


def _summary(template: TextSummary, counts: np.ndarray, documents: int,
             reservoir: tuple[str, ...] | None = None) -> TextSummary:
    words, grams = len(template.words), len(template.grams)
    split = np.cumsum([words, grams, len(template.word_buckets)])
    word, gram, word_buckets, gram_buckets = np.split(counts.astype(np.int64), split)
    return dataclasses.replace(
        template, documents=documents, words=dict(zip(template.words, word.tolist(),
                                                      strict=True)),
        grams=dict(zip(template.grams, gram.tolist(), strict=True)), word_buckets=word_buckets,
        gram_buckets=gram_buckets, reservoir=template.reservoir if reservoir is None
        else reservoir)


@pytest.mark.parametrize("size", [500, 5000])
def test_false_alarms_stay_at_alpha_without_drift(
        pool: Pool, size: int) -> None:
    """20 references of twice the window's texts, 15 windows each, all drawn with replacement
    from the pool: both sides sample one distribution exactly, and the reference's own
    noise, which a single fixed reference would hide, is part of the rate."""
    reference, cells, texts, occurrences = pool
    template = reference.texts["t"]
    rng = np.random.default_rng(size)
    p_values, naive = [], []
    for _ in range(WINDOWS // 15):
        rows = rng.integers(0, cells.shape[0], 2 * size)
        ref_counts = np.asarray(cells[rows].sum(axis=0)).ravel()
        ref_tokens = np.asarray(occurrences[rows].sum(axis=0)).ravel()
        ref = _summary(template, ref_counts, 2 * size,
                       tuple(texts[i] for i in rows[: template.limit]))
        for _ in range(15):
            drawn = rng.integers(0, cells.shape[0], size)
            counts = np.asarray(cells[drawn].sum(axis=0)).ravel()
            found = vocabulary_test(ref, _summary(template, counts, size))
            assert found is not None
            p_values.append(found.p_value)
            # the naive test: Pearson chi-square on the 2 × k table of word occurrences
            tokens = np.asarray(occurrences[drawn].sum(axis=0)).ravel()
            common = (ref_tokens >= 5) & (tokens >= 5)
            naive.append(stats.chi2_contingency(np.vstack([ref_tokens[common],
                                                           tokens[common]]))[1])
    rate = float(np.mean(np.array(p_values) < ALPHA))
    # binomial 99.9 % bound above alpha for 300 windows
    assert rate <= ALPHA + 3.1 * np.sqrt(ALPHA * (1 - ALPHA) / WINDOWS), rate
    assert rate >= 0.01, rate  # not so conservative that it never fires
    # the p-values are near uniform below 0.5, where alarms are decided
    assert np.mean(np.array(p_values) < 0.5) == pytest.approx(0.5, abs=0.15)
    assert np.mean(np.array(naive) < ALPHA) > 0.5  # what the calibration is for


@pytest.mark.parametrize("scenario", ["topic", "template"])
def test_a_topic_shift_and_a_new_template_are_seen(
        pool: Pool, scenario: str) -> None:
    reference = pool[0]
    rng = np.random.default_rng(5)
    builder = ProfileBuilder(reference=reference)
    builder.update(pd.DataFrame({"t": Corpus().documents(rng, 1000, scenario)}))
    found = vocabulary_test(reference.texts["t"], builder.build().texts["t"])
    assert found is not None and found.p_value < 1e-4
    if scenario == "template":
        shown = {d.token for d in found.drivers}
        assert shown & {"to", "it", "with", "code", "order", "track"}, shown


def test_counts_on_another_vocabulary_are_refused(
        pool: Pool) -> None:
    reference, texts = pool[0], pool[2]
    other = build_profile([pd.DataFrame({"t": texts[5000:6000]})], kinds={"t": "text"})
    with pytest.raises(ValueError, match="not counted on the reference's vocabulary"):
        vocabulary_test(reference.texts["t"], other.texts["t"])


def test_too_few_texts_are_not_tested(
        pool: Pool) -> None:
    reference, texts = pool[0], pool[2]
    builder = ProfileBuilder(reference=reference)
    builder.update(pd.DataFrame({"t": texts[:5]}))
    assert vocabulary_test(reference.texts["t"], builder.build().texts["t"]) is None
