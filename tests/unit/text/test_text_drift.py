"""Text drift wired through: the comparison, its JSON, metrics, stored results and rules."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import DriftOptions, compare
from monitor.analysis.texts import text_results
from monitor.errors import MonitorError
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.rules.loader import validate_paths
from monitor.rules.metric_names import metric_problem

from .corpus import Corpus

RULE = """\
monitors:
  - name: m1
    schedule: {every: 1h}
    window: 1h
    source: {type: file, path: logs.parquet, timestamp: at}
    reference: {path: train.parquet}
    columns: {text: [review]}
    drift: {text: TEXT}
"""


@pytest.fixture(scope="module")
def reference() -> Profile:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"review": Corpus().documents(rng, 3000),
                          "x": rng.normal(size=3000)})
    return build_profile([frame], kinds={"review": "text"})


def _window(reference: Profile, n: int, scenario: str, seed: int) -> Profile:
    rng = np.random.default_rng(seed)
    builder = ProfileBuilder(reference=reference)
    builder.update(pd.DataFrame({"review": Corpus().documents(rng, n, scenario),
                                 "x": rng.normal(size=n)}))
    return builder.build()


def test_a_new_template_drifts_the_text_and_its_json_metrics_and_rows_say_so(
        reference: Profile) -> None:
    comparison = compare(reference, _window(reference, 1500, "template", 4))
    (found,) = comparison.texts
    assert found.drifted and found.test is not None and found.test.drifted
    document = comparison.to_dict("ref", "cur")
    (text,) = document["texts"]
    assert list(text) == ["column", "method", "threshold", "drifted", "documents",
                          "descriptors", "vocabulary", "classifier"]
    assert text["column"] == "review" and text["classifier"] is None
    assert [d["descriptor"] for d in text["descriptors"]] == [
        "words", "non_letter_share", "empty", "oov_share"]
    assert {"statistic", "p_value", "effect_size", "cells", "drivers"} <= set(text["vocabulary"])
    oov = next(d for d in text["descriptors"] if d["descriptor"] == "oov_share")
    assert oov["method"] == "ks" and oov["effect_size"] > 0
    metrics = comparison.metrics()
    assert metrics["text.review.drifted"] == 1.0
    assert metrics["text.review.vocabulary.drifted"] == 1.0
    assert metrics["text.review.vocabulary.p_value"] < 0.05
    assert metrics["text.review.oov_share.p_value"] == oov["p_value"]
    assert all(metric_problem(name) is None for name in metrics if name.startswith("text."))
    # the length of the text is still a column of its own
    assert [c.column for c in comparison.columns] == ["review", "x"]
    rows = text_results(comparison.texts, None)
    assert {r.check for r in rows} == {"text"}
    assert [r.name for r in rows] == [None, "words", "non_letter_share", "empty", "oov_share"]
    assert rows[0].method == "vocabulary" and rows[0].drifted is True


def test_texts_of_the_reference_s_kind_do_not_drift(reference: Profile) -> None:
    drifted = [compare(reference, _window(reference, 800, "none", seed)).texts[0].drifted
               for seed in range(10, 16)]
    assert sum(drifted) <= 1


def test_the_classifier_method_reports_auc_and_top_words(reference: Profile) -> None:
    """A template in 30 % of the texts: a held-out AUC on 500 texts a side has little power
    for 5 % (at best 0.525), which the vocabulary test is for."""
    rng = np.random.default_rng(5)
    texts = Corpus().documents(rng, 1500)
    for i in range(0, 1500, 3):
        texts[i] = f"Order {rng.integers(10**5, 10**6)} shipped to porto, track it."
    builder = ProfileBuilder(reference=reference)
    builder.update(pd.DataFrame({"review": texts, "x": rng.normal(size=1500)}))
    options = DriftOptions(text_method="classifier")
    comparison = compare(reference, builder.build(), options)
    (text,) = comparison.to_dict("ref", "cur")["texts"]
    assert text["vocabulary"] is None and text["drifted"]
    verdict = text["classifier"]
    assert verdict["statistic"] > 0.6 and verdict["p_value"] < 1e-6
    top = verdict["top_words"][:4]
    assert {w["word"] for w in top} <= {"order", "shipped", "to", "porto", "track", "it"}, top
    assert all(w["weight"] > 0 and w["current_share"] > w["reference_share"] for w in top)
    assert math.isfinite(comparison.metrics()["text.review.classifier.statistic"])


def test_unknown_method_or_threshold_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown text drift method 'tfidf'; known: "
                                         "vocabulary, classifier"):
        DriftOptions(text_method="tfidf")
    with pytest.raises(ValueError, match="between 0 and 1"):
        DriftOptions(text_threshold=1.5)


@pytest.mark.parametrize(("text", "expected"), [
    ("{method: tfidf}", "rules.yaml:8:28: Input should be 'vocabulary' or 'classifier'"),
    ("{threshold: 2}", "rules.yaml:8:31: must be less than 1.0 (got '2')"),
    ("{methd: vocabulary}", "rules.yaml:8:20: "),
])
def test_rule_files_check_drift_text(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE.replace("TEXT", text))
    errors = [f"{Path(e.path).name}:{e.line}:{e.column}: {e.message}"
              for e in validate_paths([path], {})]
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_rule_asking_for_the_classifier_without_scikit_learn_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if it were not installed
    path = tmp_path / "rules.yaml"
    path.write_text(RULE.replace("TEXT", "{method: classifier}"))
    (error,) = validate_paths([path], {})
    assert "pip install 'monitor[estimate]'" in error.message


def test_metric_names_of_texts() -> None:
    assert metric_problem("text.review.drifted") is None
    assert metric_problem("text.review.vocabulary.p_value") is None
    assert metric_problem("text.review.words.effect_size") is None
    assert "needs a text column" in (metric_problem("text.review") or "")
    assert "did you mean 'text.review.vocabulary.p_value'" in (
        metric_problem("text.review.vocabulary.pvalue") or "")


def test_the_api_compares_texts_and_takes_the_method(tmp_path: Path) -> None:
    import monitor

    rng = np.random.default_rng(8)
    corpus = Corpus()
    ref = pd.DataFrame({"review": corpus.documents(rng, 1500)})
    cur = pd.DataFrame({"review": corpus.documents(rng, 800, "topic")})
    found = monitor.compare(ref, cur, text="review")
    assert found.to_dict()["texts"][0]["drifted"]
    with pytest.raises(MonitorError, match="unknown text drift method"):
        monitor.compare(ref, cur, text="review", text_method="bag")  # type: ignore[arg-type]
