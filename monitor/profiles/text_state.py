"""The running state of the text columns while a builder's chunks stream in.

``TextSet`` holds one ``TextAccumulator`` per text column; each keeps its
descriptors as ``NumericColumn``s (on the reference's histogram edges when
there is one: ``descriptor_column`` is the one place that builds them), its
document counts (candidates for the top tokens without a reference, the
reference's vocabulary with one) and its reservoir of texts. See
``monitor.profiles.text`` for what is kept and why.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from monitor.profiles.columns import NumericColumn
from monitor.profiles.joint import merge_rows
from monitor.profiles.profile import NUMERIC, ColumnProfile
from monitor.profiles.summaries import DEFAULT_BINS
from monitor.profiles.text import (
    BUCKETS,
    CANDIDATES,
    GRAMS,
    RESERVOIR,
    TEXT_LIMIT,
    WORDS,
    TextSummary,
    bucket,
    count_documents,
    grams,
    oov_share,
    top_tokens,
    words,
)

__all__ = ["TextAccumulator", "TextSet", "descriptor_column", "descriptor_profiles",
           "merge_reservoirs", "own_oov"]


def descriptor_profiles(summary: TextSummary) -> dict[str, ColumnProfile]:
    """A summary's descriptors as the column profiles they are."""
    out = {}
    for name, column in summary.descriptors.items():
        if not isinstance(column, ColumnProfile):
            raise TypeError(f"text descriptor {name!r} is not a column profile")
        out[name] = column
    return out


def descriptor_column(reference: ColumnProfile | None, sample_size: int,
                      rng: np.random.Generator) -> NumericColumn:
    """A descriptor's running column: on the reference descriptor's edges when given."""
    if reference is not None and reference.numeric is not None:
        return NumericColumn(NUMERIC, reference.numeric.edges, reference.numeric.bins,
                             sample_size, rng)
    return NumericColumn(NUMERIC, None, DEFAULT_BINS, sample_size, rng)


def own_oov(reservoir: Sequence[str], vocabulary: Mapping[str, int]) -> ColumnProfile:
    """``oov_share`` of a summary without a reference: its reservoir against its own words."""
    column = descriptor_column(None, max(RESERVOIR, len(reservoir)), np.random.default_rng(0))
    column.add(pd.Series([oov_share(t, vocabulary) for t in reservoir], dtype=np.float64))
    return column.build()


def merge_reservoirs(a: Sequence[str], count_a: int, b: Sequence[str], count_b: int,
                     limit: int) -> tuple[str, ...]:
    """Two uniform reservoirs of texts merged into one of their union (seeded: deterministic)."""
    rng = np.random.default_rng([count_a, count_b, limit, 17])
    merged = merge_rows(_rows(a), count_a, _rows(b), count_b, limit, rng)
    return tuple(str(t) for t in merged[:, 0])


def _rows(texts: Sequence[str]) -> np.ndarray:
    rows = np.empty((len(texts), 1), dtype=object)
    rows[:, 0] = list(texts)
    return rows


class TextAccumulator:
    """One text column's state (see the module docstring)."""

    def __init__(self, reference: TextSummary | None, sample_size: int,
                 rng: np.random.Generator) -> None:
        self.reference = reference
        self.rng = rng
        self.documents = self.selected = self.missing = self.floor = 0
        self.seen = False
        self.words: dict[str, int] = dict.fromkeys(reference.words, 0) if reference else {}
        self.grams: dict[str, int] = dict.fromkeys(reference.grams, 0) if reference else {}
        self.choice: tuple[dict[str, int], dict[str, int]] = ({}, {})  # the selecting half
        self.word_buckets = np.zeros(BUCKETS, np.int64)
        self.gram_buckets = np.zeros(BUCKETS, np.int64)
        self.reservoir = np.empty((0, 1), dtype=object)
        own = descriptor_profiles(reference) if reference else {}
        names = ("words", "non_letter_share", "empty", *(("oov_share",) if reference else ()))
        self.descriptors = {n: descriptor_column(own.get(n), sample_size, rng) for n in names}

    def add_missing(self, rows: int) -> None:
        """Rows where the column was absent."""
        self.missing += rows
        for column in self.descriptors.values():
            column.add_missing(rows)

    def add(self, series: pd.Series) -> None:
        """Add a chunk's texts (values that are not text are read as their text)."""
        self.seen = True
        absent = series.isna().to_numpy(dtype=bool)
        texts = [str(v) for v in series[~absent].tolist()]
        self.missing += int(absent.sum())
        values = {n: np.full(len(series), np.nan) for n in self.descriptors}
        present = np.flatnonzero(~absent)
        vocabulary = self.reference.words if self.reference else None
        word_sets: list[set[str]] = []
        gram_sets: list[set[str]] = []
        for row, text in zip(present, texts, strict=True):
            found = words(text)
            head = found if len(text) <= TEXT_LIMIT else words(text[:TEXT_LIMIT])
            word_sets.append(set(head))
            gram_sets.append(grams(head))
            visible = len(text) - sum(map(str.isspace, text))
            letters = sum(map(str.isalpha, text))
            values["words"][row] = len(found)
            values["empty"][row] = 0.0 if visible else 1.0
            if visible:
                values["non_letter_share"][row] = (visible - letters) / visible
            if vocabulary is not None and head:
                values["oov_share"][row] = sum(w not in vocabulary for w in head) / len(head)
        for name, column in self.descriptors.items():
            column.add(pd.Series(values[name]))
        if self.reference is not None:
            count_documents(word_sets, self.words, self.word_buckets, self.reference.words)
            count_documents(gram_sets, self.grams, self.gram_buckets, self.reference.grams)
            self._sample(texts)
            return
        # Without a reference, every other text chooses the vocabulary and the others are
        # counted on it: counted on the texts that chose them, the top tokens would come out
        # more frequent than they are (the winner's curse) and every window would drift.
        first = (self.documents + self.selected) % 2
        counted, choosing = slice(first, None, 2), slice(1 - first, None, 2)
        count_documents(word_sets[counted], self.words, self.word_buckets, None)
        count_documents(gram_sets[counted], self.grams, self.gram_buckets, None)
        count_documents(word_sets[choosing], self.choice[0], np.zeros(BUCKETS, np.int64), None)
        count_documents(gram_sets[choosing], self.choice[1], np.zeros(BUCKETS, np.int64), None)
        for counts, buckets in ((self.words, self.word_buckets), (self.grams, self.gram_buckets),
                                (self.choice[0], None), (self.choice[1], None)):
            self._trim(counts, buckets)
        self.selected += len(texts[choosing])
        self._sample(texts[counted])

    def _sample(self, texts: list[str]) -> None:
        """Add counted texts to the reservoir."""
        self.reservoir = merge_rows(self.reservoir, self.documents,
                                    _rows([t[:TEXT_LIMIT] for t in texts]), len(texts),
                                    RESERVOIR, self.rng)
        self.documents += len(texts)

    def _trim(self, counts: dict[str, int], buckets: np.ndarray | None) -> None:
        """Keep the more frequent half of the candidates once they pass ``CANDIDATES``."""
        if len(counts) <= CANDIDATES:
            return
        kept = top_tokens(counts, CANDIDATES // 2)
        for token, number in counts.items():
            if token not in kept and buckets is not None:
                buckets[bucket(token)] += number
                self.floor = max(self.floor, number)
        counts.clear()
        counts.update(kept)

    def build(self) -> TextSummary:
        """The summary so far (the accumulator can keep going)."""
        reservoir = tuple(str(t) for t in self.reservoir[:, 0])
        descriptors = {n: c.build() for n, c in self.descriptors.items()}
        if self.reference is not None:
            return TextSummary(self.documents, self.missing, dict(self.words), dict(self.grams),
                               self.word_buckets.copy(), self.gram_buckets.copy(), reservoir,
                               descriptors, True, 0)
        built = []
        for counts, buckets, choice, limit in ((self.words, self.word_buckets, self.choice[0],
                                                WORDS),
                                               (self.grams, self.gram_buckets, self.choice[1],
                                                GRAMS)):
            chosen = top_tokens(choice or counts, limit)  # one text: it chooses for itself
            kept = {t: counts.get(t, 0) for t in chosen}
            rest = buckets.copy()
            for token, number in counts.items():
                if token not in kept:
                    rest[bucket(token)] += number
            built.append((kept, rest))
        (word_counts, word_buckets), (gram_counts, gram_buckets) = built
        descriptors["oov_share"] = own_oov(reservoir, word_counts)
        return TextSummary(self.documents, self.missing, word_counts, gram_counts, word_buckets,
                           gram_buckets, reservoir, descriptors, False, self.floor,
                           selected=self.selected)


class TextSet:
    """The text columns a builder reads: with a reference, those it summarised."""

    def __init__(self, names: Collection[str], reference: Mapping[str, TextSummary] | None,
                 sample_size: int, rng: np.random.Generator) -> None:
        known = reference or {}
        self.accumulators = {n: TextAccumulator(known.get(n), sample_size, rng) for n in names}
        self.rows = 0

    def update(self, frame: pd.DataFrame) -> None:
        """Add a chunk's texts to every text column (an absent column: missing rows)."""
        columns = {str(c): c for c in frame.columns}
        for name, accumulator in self.accumulators.items():
            if name in columns:
                if not accumulator.seen:
                    accumulator.add_missing(self.rows)
                accumulator.add(frame[columns[name]])
            elif accumulator.seen:
                accumulator.add_missing(len(frame))
        self.rows += len(frame)

    def build(self) -> dict[str, TextSummary]:
        """Each text column's summary (those never seen are left out)."""
        return {n: a.build() for n, a in self.accumulators.items() if a.seen}
