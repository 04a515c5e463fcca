"""The domain classifier for text: can a model tell a window's texts from the reference's?

It reads the two ``TextSummary`` reservoirs (uniform samples of at most
1 000 texts each, their first 1 000 characters; ``monitor.profiles.text``).
Features: scikit-learn's ``HashingVectorizer`` over words (``\\w+``) and
character 3-grams within words, each present-or-not, rows scaled to unit
length. A logistic regression (L2, balanced classes) learns on half of each
reservoir; on the other halves its ROC AUC is the ``statistic`` and the
one-sided Mann–Whitney test of the current texts scoring higher its exact
p-value (``monitor.stats.multivariate.held_out_auc``, as the other domain
classifiers). ``effect_size`` is ``AUC − 0.5``.

``top_words`` names what separates the two: the words of the reservoirs
whose (hashed) coefficients weigh most, positive for words of the current
window, negative for those of the reference, with each word's share of the
texts on each side. It needs scikit-learn (``pip install 'monitor[estimate]'``).

Reference: D. Lopez-Paz, M. Oquab, "Revisiting classifier two-sample tests",
ICLR (2017).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.errors import ProfileError
from monitor.profiles.text import TextSummary, words
from monitor.stats.multivariate import held_out_auc

__all__ = ["MIN_TEXTS", "TOP_WORDS", "ClassifierResult", "WordWeight", "classifier_test"]

MIN_TEXTS = 20
TOP_WORDS = 10
_FEATURES = 2**17
PENALTY = 0.1  # strong: a few hundred texts a side, a million hashed features


@dataclass(frozen=True, slots=True)
class WordWeight:
    """A word that tells the windows apart: its weight (> 0: the current's) and shares."""

    word: str
    weight: float
    reference_share: float
    current_share: float


@dataclass(frozen=True, slots=True)
class ClassifierResult:
    """The held-out ROC AUC, its p-value, ``AUC − 0.5`` and the words that weigh most."""

    statistic: float
    p_value: float
    effect_size: float
    top_words: tuple[WordWeight, ...]


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise ProfileError("the text classifier needs scikit-learn: "
                           "pip install 'monitor[estimate]'") from exc


def classifier_test(reference: TextSummary, current: TextSummary, seed: int = 0
                    ) -> ClassifierResult | None:
    """Train on half of each reservoir, score the other halves; None below ``MIN_TEXTS``.

    Raises:
        ProfileError: scikit-learn is not installed (the message says how to add it).
    """
    _sklearn()
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    ref, cur = list(reference.reservoir), list(current.reservoir)
    if min(len(ref), len(cur)) < MIN_TEXTS:
        return None
    by_word = HashingVectorizer(token_pattern=r"(?u)\b\w+\b", n_features=_FEATURES,
                                alternate_sign=False, binary=True, norm=None)
    by_gram = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=_FEATURES,
                                alternate_sign=False, binary=True, norm=None)

    def features(texts: Sequence[str]) -> Any:
        return normalize(sparse.hstack([by_word.transform(texts), by_gram.transform(texts)],
                                       format="csr"))

    rng = np.random.default_rng(seed)
    ref_order, cur_order = rng.permutation(len(ref)), rng.permutation(len(cur))
    ref_fit, ref_test = ref_order[: len(ref) // 2], ref_order[len(ref) // 2:]
    cur_fit, cur_test = cur_order[: len(cur) // 2], cur_order[len(cur) // 2:]
    x_ref, x_cur = features(ref), features(cur)
    x = sparse.vstack([x_ref[ref_fit], x_cur[cur_fit]], format="csr")
    y = np.concatenate([np.zeros(len(ref_fit)), np.ones(len(cur_fit))])
    model = LogisticRegression(C=PENALTY, class_weight="balanced", solver="liblinear",
                               max_iter=1000)  # liblinear: sparse, few rows, many columns
    model.fit(x, y)
    auc, p_value = held_out_auc(model.decision_function(x_cur[cur_test]),
                                model.decision_function(x_ref[ref_test]))
    top = _top_words(by_word, np.asarray(model.coef_[0][:_FEATURES]), ref, cur)
    return ClassifierResult(auc, p_value, max(0.0, auc - 0.5), top)


def _top_words(vectorizer: Any, weights: np.ndarray, reference: Sequence[str],
               current: Sequence[str]) -> tuple[WordWeight, ...]:
    """The reservoirs' words whose hashed coefficients weigh most (a word in one text only
    is left out: it tells one text, not the window)."""
    ref_counts = Counter(w for text in reference for w in set(words(text)))
    cur_counts = Counter(w for text in current for w in set(words(text)))
    seen = [w for w in {*ref_counts, *cur_counts} if ref_counts[w] + cur_counts[w] > 1]
    if not seen:
        return ()
    columns = vectorizer.transform(seen).tocsr()
    index = np.asarray(columns.indices)[np.diff(columns.indptr) > 0]
    known = [w for w, has in zip(seen, np.diff(columns.indptr) > 0, strict=True) if has]
    weight = weights[index]
    order = sorted(range(len(known)), key=lambda i: (-abs(weight[i]), known[i]))[:TOP_WORDS]
    return tuple(WordWeight(known[i], float(weight[i]), ref_counts[known[i]] / len(reference),
                            cur_counts[known[i]] / len(current)) for i in order)
