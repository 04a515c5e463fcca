"""Drift of free text: each text column both profiles summarise, judged as a whole.

A text column gets one family of tests, corrected together (Holm), so that
a text drifts falsely at most alpha of the time whatever it is checked by:

- its four descriptors (``words``, ``non_letter_share``, ``empty``,
  ``oov_share``), each by ``auto`` as a numeric column is (KS, or chi-square
  on few values; with ``auto``'s effect floors);
- the text's method (``drift.text.method``): ``vocabulary`` (the default,
  ``monitor.stats.text``) or ``classifier`` (``monitor.stats.text_classifier``).

The text drifted when any of them did. Its length in characters stays a
column of its own, compared as it always was.

Metric names (``when:``): ``text.<column>.drifted`` (the text as a whole),
``text.<column>.<method>.<stat>`` and ``text.<column>.<descriptor>.<stat>``
with ``<stat>`` one of ``statistic``, ``p_value``, ``effect_size``, ``drifted``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.profiles import Profile
from monitor.profiles.text import TextSummary
from monitor.profiles.text_state import descriptor_profiles
from monitor.records import NewResult
from monitor.stats import adjust_p_values, choose_auto, meets_effect_floor
from monitor.stats.text import TokenShift, vocabulary_test
from monitor.stats.text_classifier import WordWeight, classifier_test

__all__ = ["DEFAULT_TEXT_METHOD", "TEXT_METHODS", "DescriptorDrift", "TextDrift", "TextTest",
           "check_text_options", "text_drift", "text_metrics", "text_results"]

logger = logging.getLogger(__name__)

TEXT_METHODS = ("vocabulary", "classifier")
DEFAULT_TEXT_METHOD = "vocabulary"


@dataclass(frozen=True, slots=True)
class DescriptorDrift:
    """One descriptor's verdict; ``p_value`` is after the text's correction."""

    descriptor: str
    method: str
    statistic: float
    p_value: float | None
    effect_size: float | None
    drifted: bool


@dataclass(frozen=True, slots=True)
class TextTest:
    """The text method's verdict (``p_value`` after the text's correction)."""

    method: str
    statistic: float
    p_value: float
    effect_size: float
    drifted: bool
    cells: int | None = None
    drivers: tuple[TokenShift, ...] = ()
    top_words: tuple[WordWeight, ...] = ()


@dataclass(frozen=True, slots=True)
class TextDrift:
    """One text column's verdict: its method's test (None when it could not run) and
    its descriptors'."""

    column: str
    method: str
    threshold: float
    reference_documents: int
    current_documents: int
    test: TextTest | None
    descriptors: tuple[DescriptorDrift, ...]
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        """This text's entry in ``compare --format json``'s ``texts`` list (non-finite as null)."""
        found = self
        test = found.test
        verdict: dict[str, Any] | None = None
        if test is not None:
            verdict = {"statistic": _finite(test.statistic), "p_value": _finite(test.p_value),
                       "effect_size": _finite(test.effect_size), "drifted": test.drifted}
            if test.method == "vocabulary":
                verdict["cells"] = test.cells
                verdict["drivers"] = [{"token": d.token, "reference_share": d.reference_share,
                                       "current_share": d.current_share} for d in test.drivers]
            else:
                verdict["top_words"] = [{"word": w.word, "weight": _finite(w.weight),
                                         "reference_share": w.reference_share,
                                         "current_share": w.current_share}
                                        for w in test.top_words]
        return {
            "column": found.column, "method": found.method, "threshold": found.threshold,
            "drifted": found.drifted,
            "documents": {"reference": found.reference_documents,
                          "current": found.current_documents},
            "descriptors": [{"descriptor": d.descriptor, "method": d.method,
                             "statistic": _finite(d.statistic), "p_value": _finite(d.p_value),
                             "effect_size": _finite(d.effect_size), "drifted": d.drifted}
                            for d in found.descriptors],
            "vocabulary": verdict if found.method == "vocabulary" else None,
            "classifier": verdict if found.method == "classifier" else None,
        }


def check_text_options(method: str, threshold: float | None) -> None:
    """Raise a ValueError naming the problem with a text method or threshold."""
    if method not in TEXT_METHODS:
        raise ValueError(f"unknown text drift method '{method}'; known: "
                         f"{', '.join(TEXT_METHODS)}")
    if threshold is not None and not (math.isfinite(threshold) and 0 < threshold < 1):
        raise ValueError(f"a text drift threshold must be a p-value between 0 and 1, got "
                         f"{threshold!r}")


def text_drift(reference: Profile, current: Profile, method: str = DEFAULT_TEXT_METHOD,
               threshold: float | None = None) -> tuple[TextDrift, ...]:
    """Each text column both profiles summarise, tested (module docstring).

    Raises:
        ValueError: an unknown method.
        ProfileError: ``classifier`` without scikit-learn.
    """
    check_text_options(method, threshold)
    limit = 0.05 if threshold is None else threshold
    out = []
    for name, ref in reference.texts.items():
        cur = current.texts.get(name)
        if cur is None or not ref.documents or not cur.documents:
            continue
        out.append(_one(name, ref, cur, method, limit))
    return tuple(out)


def _one(name: str, ref: TextSummary, cur: TextSummary, method: str, limit: float
         ) -> TextDrift:
    found: Any = None
    if method == "classifier":
        found = classifier_test(ref, cur)
    elif list(ref.words) == list(cur.words) and list(ref.grams) == list(cur.grams):
        found = vocabulary_test(ref, cur)
    else:
        logger.warning("text %s: the current texts were not counted on the reference's "
                       "vocabulary (profile them with the reference); its vocabulary is "
                       "not tested", name)
    if found is None:
        logger.info("text %s: %s not tested (too few texts or common tokens)", name, method)
    scored = []
    ref_columns, cur_columns = descriptor_profiles(ref), descriptor_profiles(cur)
    for descriptor, column in ref_columns.items():
        other = cur_columns.get(descriptor)
        if other is None or not column.count or not other.count:
            continue
        chosen = choose_auto(column, other)
        scored.append((descriptor, chosen.score(column, other)))
    raw = [1.0 if r.p_value is None else r.p_value for _, r in scored]
    raw += [found.p_value] if found is not None else []
    adjusted = adjust_p_values(raw, "holm")
    descriptors = tuple(
        DescriptorDrift(d, r.method, r.statistic, p, r.effect_size,
                        bool(p < limit and meets_effect_floor(r)))
        for (d, r), p in zip(scored, adjusted, strict=False))
    test = None
    if found is not None:
        p = adjusted[-1]
        test = TextTest(method, found.statistic, p, found.effect_size, p < limit,
                        getattr(found, "cells", None), getattr(found, "drivers", ()),
                        getattr(found, "top_words", ()))
    drifted = any(d.drifted for d in descriptors) or (test is not None and test.drifted)
    return TextDrift(name, method, limit, ref.documents, cur.documents, test, descriptors,
                     drifted)


def text_metrics(texts: Sequence[TextDrift]) -> dict[str, float]:
    """``text.<column>.drifted``, ``text.<column>.<method or descriptor>.<stat>``."""
    out: dict[str, float] = {}
    for found in texts:
        prefix = f"text.{found.column}"
        out[f"{prefix}.drifted"] = 1.0 if found.drifted else 0.0
        parts: list[tuple[str, Any]] = [(d.descriptor, d) for d in found.descriptors]
        parts += [(found.method, found.test)] if found.test is not None else []
        for part, verdict in parts:
            out[f"{prefix}.{part}.statistic"] = verdict.statistic
            out[f"{prefix}.{part}.p_value"] = (math.nan if verdict.p_value is None
                                               else verdict.p_value)
            out[f"{prefix}.{part}.effect_size"] = (math.nan if verdict.effect_size is None
                                                   else verdict.effect_size)
            out[f"{prefix}.{part}.drifted"] = 1.0 if verdict.drifted else 0.0
    return out


def text_results(texts: Sequence[TextDrift], segment: str | None) -> list[NewResult]:
    """The rows a run stores: ``check="text"``, one for the method (``name`` None) and one
    per descriptor (``name`` the descriptor)."""
    rows = []
    for found in texts:
        test = found.test
        if test is not None:
            rows.append(NewResult(
                check="text", column=found.column, segment=segment, kind="text",
                method=test.method, statistic=test.statistic, p_value=test.p_value,
                threshold=found.threshold, effect_size=test.effect_size,
                passed=not test.drifted, drifted=test.drifted))
        rows += [NewResult(check="text", column=found.column, segment=segment, kind="numeric",
                           method=d.method, statistic=d.statistic, p_value=d.p_value,
                           threshold=found.threshold, effect_size=d.effect_size,
                           passed=not d.drifted, drifted=d.drifted, name=d.descriptor)
                 for d in found.descriptors]
    return rows


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
