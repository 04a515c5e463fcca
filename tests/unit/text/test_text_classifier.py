"""The text domain classifier: AUC on separable and inseparable texts, the words it names."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from monitor.errors import ProfileError
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.stats.text_classifier import classifier_test

from .corpus import Corpus


def _pair(reference: list[str], current: list[str]) -> tuple[Profile, Profile]:
    ref = build_profile([pd.DataFrame({"t": reference})], kinds={"t": "text"})
    builder = ProfileBuilder(reference=ref)
    builder.update(pd.DataFrame({"t": current}))
    return ref, builder.build()


def test_separable_texts_score_near_one_and_name_the_planted_word() -> None:
    rng = np.random.default_rng(0)
    corpus = Corpus()
    current = corpus.documents(rng, 1200)
    for i in range(0, len(current), 2):  # half the current texts speak of a refund
        current[i] = current[i].rstrip(".") + " refund."
    ref, cur = _pair(corpus.documents(rng, 2400), current)
    found = classifier_test(ref.texts["t"], cur.texts["t"])
    assert found is not None
    assert found.statistic > 0.7 and found.p_value < 1e-10
    assert found.effect_size == pytest.approx(found.statistic - 0.5)
    top = found.top_words[0]
    assert top.word == "refund" and top.weight > 0
    assert top.reference_share == 0.0 and top.current_share == pytest.approx(0.5, abs=0.05)


def test_texts_of_one_distribution_score_near_a_half() -> None:
    corpus = Corpus()
    p_values = []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        ref, cur = _pair(corpus.documents(rng, 800), corpus.documents(rng, 400))
        found = classifier_test(ref.texts["t"], cur.texts["t"], seed=seed)
        assert found is not None and 0.4 < found.statistic < 0.62
        p_values.append(found.p_value)
    assert np.mean(np.array(p_values) < 0.05) <= 2 / 12
    assert np.mean(p_values) == pytest.approx(0.5, abs=0.2)  # about uniform


def test_too_few_texts_are_not_tested() -> None:
    ref, cur = _pair(["a b"] * 50, ["a b"] * 5)
    assert classifier_test(ref.texts["t"], cur.texts["t"]) is None


def test_without_scikit_learn_the_error_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ref, cur = _pair(["a b"] * 50, ["a c"] * 50)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    with pytest.raises(ProfileError, match=r"pip install 'monitor\[estimate\]'"):
        classifier_test(ref.texts["t"], cur.texts["t"])
