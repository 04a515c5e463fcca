"""The text columns of a report: their tests and the words that moved, as rows to print.

Read from the ``texts`` list of a ``compare --format json`` document
(``monitor.analysis.texts``), so the terminal table and the HTML page say
the same: one row per test (the text's method, then its descriptors) and,
under it, the vocabulary's drivers or the classifier's top words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.report.text import format_number

__all__ = ["TEST_HEADERS", "WORD_HEADERS", "TextSection", "text_sections"]

TEST_HEADERS = ("test", "method", "statistic", "p-value", "effect", "drifted")
WORD_HEADERS = ("word", "weight", "reference share", "current share")


@dataclass(frozen=True, slots=True)
class TextSection:
    """One text column: its verdict, its tests' rows and the words that tell the windows apart."""

    column: str
    drifted: bool
    documents: str
    tests: tuple[tuple[tuple[str, ...], bool], ...]
    words_title: str
    words: tuple[tuple[str, ...], ...]


def _share(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.1%}"


def _number(value: Any) -> str:
    return format_number(value if isinstance(value, int | float) else None)


def text_sections(document: Mapping[str, Any]) -> list[TextSection]:
    """The sections of a document's ``texts`` (none when it has no such list)."""
    texts = document.get("texts")
    out = []
    for text in texts if isinstance(texts, Sequence) else ():
        if not isinstance(text, Mapping):
            continue
        method = str(text.get("method"))
        tests = []
        found = text.get(method)
        if isinstance(found, Mapping):
            tests.append(((method, "", _number(found.get("statistic")),
                           _number(found.get("p_value")), _number(found.get("effect_size")),
                           "DRIFTED" if found.get("drifted") else "no"),
                          bool(found.get("drifted"))))
        for d in text.get("descriptors") or ():
            tests.append(((str(d.get("descriptor")), str(d.get("method")),
                           _number(d.get("statistic")), _number(d.get("p_value")),
                           _number(d.get("effect_size")),
                           "DRIFTED" if d.get("drifted") else "no"), bool(d.get("drifted"))))
        words: list[tuple[str, ...]] = []
        title = ""
        if isinstance(found, Mapping) and found.get("top_words"):
            title = "Words that tell the windows apart (weight > 0: current)"
            words = [(str(w.get("word")), _number(w.get("weight")),
                      _share(w.get("reference_share")), _share(w.get("current_share")))
                     for w in found["top_words"]]
        elif isinstance(found, Mapping) and found.get("drivers"):
            title = "Tokens whose share of texts moved most"
            words = [(str(w.get("token")), "", _share(w.get("reference_share")),
                      _share(w.get("current_share"))) for w in found["drivers"]]
        counts = text.get("documents") or {}
        out.append(TextSection(
            str(text.get("column")), bool(text.get("drifted")),
            f"{counts.get('reference', 0):,} reference texts, {counts.get('current', 0):,} "
            "current", tuple(tests), title, tuple(words)))
    return out
