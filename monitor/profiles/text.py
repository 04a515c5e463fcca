"""Free text: a bounded, mergeable summary of a text column beyond its length.

A ``text`` column keeps its length in characters as a numeric column, as it
always did. A profile with text columns also holds, per text column, a
``TextSummary`` (the optional profile key ``texts``):

- **descriptors**, one numeric ``ColumnProfile`` each, compared by the usual
  numeric tests: ``words`` (word count), ``non_letter_share`` (share of the
  non-space characters that are not letters: digits, punctuation, symbols),
  ``empty`` (1 for an empty or blank text, else 0) and ``oov_share`` (share
  of a text's words outside the reference's vocabulary). Language-free:
  words are the unicode ``\\w+`` runs of the lower-cased text.
- **vocabulary counts**: the number of documents that contain each of the
  top ``WORDS`` = 1 000 words and ``GRAMS`` = 1 000 character 3-grams (of the
  words joined by single spaces, so they work for scripts without spaces),
  and, for every other token, ``BUCKETS`` = 256 buckets per kind (stable
  hash: ``zlib.crc32``) counting (document, distinct token) pairs. A window
  profiled against a reference counts on the reference's vocabulary, so
  counts merge by addition. Without a reference, every other text chooses
  the top tokens (``selected``) and the others are counted (``documents``):
  counts taken on the texts that chose them would overstate the top tokens
  (the winner's curse), and windows would seem to use them less.
- a uniform **reservoir** of at most ``RESERVOIR`` = 1 000 texts, for the
  calibration of the vocabulary test and the domain classifier.

Vocabulary counts, the reservoir and ``oov_share`` read each text's first
``TEXT_LIMIT`` = 1 000 characters, so one long document weighs no more than
a page, and the reference (whose vocabulary is known only at the end)
measures ``oov_share`` the same way: on its reservoir, against its own top
words (a profile with a reference measures it on every row).

**Exactness.** Document counts are exact while a reference holds at most
``CANDIDATES`` = 20 000 distinct tokens of a kind; beyond, the rarer half is
dropped now and then and ``floor`` records the largest count dropped, which
bounds how much a vocabulary count may miss. Two summaries with different
vocabularies (two parts profiled without a reference) merge on the tokens
both kept, the others going back to their buckets, so the merge stays exact.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = ["BUCKETS", "CANDIDATES", "DESCRIPTORS", "GRAMS", "RESERVOIR", "TEXT_LIMIT", "WORDS",
           "TextSummary", "bucket", "grams", "oov_share", "tokens", "words"]

WORDS = 1_000
GRAMS = 1_000
BUCKETS = 256
RESERVOIR = 1_000
TEXT_LIMIT = 1_000
CANDIDATES = 20_000
GRAM = 3
DESCRIPTORS = ("words", "non_letter_share", "empty", "oov_share")

_WORD = re.compile(r"\w+")


class Descriptor(Protocol):
    """What a summary needs of a descriptor's ``ColumnProfile`` (kept abstract here: the
    profile module, which defines it, loads this one)."""

    def to_dict(self) -> dict[str, Any]: ...

    def merge(self, other: Any) -> Any: ...


def words(text: str) -> list[str]:
    """The lower-cased ``\\w+`` words of a text.

    >>> words("Été: 3 CAFÉS, deux thés!")
    ['été', '3', 'cafés', 'deux', 'thés']
    """
    return _WORD.findall(text.lower())


def grams(found: Sequence[str]) -> set[str]:
    """The distinct character 3-grams of words joined by spaces, a space at each end.

    >>> sorted(grams(["ab", "c"]))
    [' ab', ' c ', 'ab ', 'b c']
    """
    joined = " " + " ".join(found) + " "
    return {joined[i:i + GRAM] for i in range(len(joined) - GRAM + 1)} if found else set()


def tokens(text: str) -> tuple[set[str], set[str]]:
    """A text's distinct words and 3-grams, read from its first ``TEXT_LIMIT`` characters."""
    found = words(text[:TEXT_LIMIT])
    return set(found), grams(found)


def bucket(token: str) -> int:
    """The bucket of a token outside the vocabulary (stable across processes)."""
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % BUCKETS


def oov_share(text: str, vocabulary: Mapping[str, int]) -> float:
    """Share of the words of a text's first ``TEXT_LIMIT`` characters not in ``vocabulary``.

    >>> oov_share("the cat, the dog", {"the": 9, "cat": 3})
    0.25
    """
    found = words(text[:TEXT_LIMIT])
    if not found:
        return float("nan")
    return sum(w not in vocabulary for w in found) / len(found)


def count_documents(sets: Iterable[set[str]], counts: dict[str, int], buckets: np.ndarray,
                    pinned: Mapping[str, int] | None) -> None:
    """Add each document's distinct tokens: to ``counts`` (every token, or those of ``pinned``)
    and, for the others, to their bucket."""
    seen: Counter[str] = Counter()
    for found in sets:
        seen.update(found)
    for token, number in seen.items():
        if pinned is None or token in pinned:
            counts[token] = counts.get(token, 0) + number
        else:
            buckets[bucket(token)] += number


def top_tokens(counts: Mapping[str, int], limit: int) -> dict[str, int]:
    """The ``limit`` tokens in the most documents (ties by token), most frequent first."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return dict(ranked)


def _unbucketed(counts: Mapping[str, int], buckets: np.ndarray, keep: Mapping[str, Any]
                ) -> tuple[dict[str, int], np.ndarray]:
    """The counts of the tokens ``keep`` names; the others' counts put back in their buckets."""
    out = buckets.copy()
    for token, number in counts.items():
        if token not in keep:
            out[bucket(token)] += number
    return {t: counts[t] for t in counts if t in keep}, out


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class TextSummary:
    """One text column's descriptors, vocabulary counts and reservoir (module docstring).

    ``pinned``: the vocabulary is a reference's, counted on every row (a window);
    else it is the summary's own top tokens, chosen on ``selected`` texts (every other
    one) and counted on the ``documents`` others (module docstring).
    """

    documents: int
    missing: int
    words: Mapping[str, int]
    grams: Mapping[str, int]
    word_buckets: np.ndarray
    gram_buckets: np.ndarray
    reservoir: tuple[str, ...]
    descriptors: Mapping[str, Descriptor]
    pinned: bool = False
    floor: int = 0
    limit: int = RESERVOIR
    selected: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextSummary):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def cells(self) -> np.ndarray:
        """Every count in one vector: words, 3-grams, word buckets, 3-gram buckets."""
        return np.concatenate([np.fromiter(self.words.values(), np.float64, len(self.words)),
                               np.fromiter(self.grams.values(), np.float64, len(self.grams)),
                               self.word_buckets.astype(np.float64),
                               self.gram_buckets.astype(np.float64)])

    def merge(self, other: TextSummary) -> TextSummary:
        """Both parts' summary; counts add up, on the vocabulary both parts share."""
        from monitor.profiles.text_state import merge_reservoirs, own_oov

        same = (list(self.words) == list(other.words) and list(self.grams) == list(other.grams))
        words_a, word_buckets_a = _unbucketed(self.words, self.word_buckets, other.words)
        words_b, word_buckets_b = _unbucketed(other.words, other.word_buckets, self.words)
        grams_a, gram_buckets_a = _unbucketed(self.grams, self.gram_buckets, other.grams)
        grams_b, gram_buckets_b = _unbucketed(other.grams, other.gram_buckets, self.grams)
        word_counts = {t: n + words_b[t] for t, n in words_a.items()}
        gram_counts = {t: n + grams_b[t] for t, n in grams_a.items()}
        limit = min(self.limit, other.limit)
        reservoir = merge_reservoirs(self.reservoir, self.documents, other.reservoir,
                                     other.documents, limit)
        descriptors = {name: column.merge(other.descriptors[name])
                       for name, column in self.descriptors.items()
                       if name in other.descriptors}
        pinned = self.pinned and other.pinned and same
        if not pinned:
            word_counts = top_tokens(word_counts, len(word_counts))
            gram_counts = top_tokens(gram_counts, len(gram_counts))
            descriptors["oov_share"] = own_oov(reservoir, word_counts)
        return TextSummary(self.documents + other.documents, self.missing + other.missing,
                           word_counts, gram_counts, word_buckets_a + word_buckets_b,
                           gram_buckets_a + gram_buckets_b, reservoir, descriptors, pinned,
                           max(self.floor, other.floor), limit,
                           self.selected + other.selected)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (token counts as two lists, to keep the vocabulary's order)."""
        return {"documents": self.documents, "selected": self.selected,
                "missing": self.missing, "pinned": self.pinned,
                "floor": self.floor, "limit": self.limit,
                "words": [list(self.words), list(self.words.values())],
                "grams": [list(self.grams), list(self.grams.values())],
                "word_buckets": [int(v) for v in self.word_buckets],
                "gram_buckets": [int(v) for v in self.gram_buckets],
                "reservoir": list(self.reservoir),
                "descriptors": {k: v.to_dict() for k, v in self.descriptors.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any],
                  load_column: Callable[[str, Any, int], Descriptor]) -> TextSummary:
        """Rebuild from ``to_dict``; ``load_column(where, data, rows)`` reads a descriptor.

        Raises ValueError/KeyError/TypeError on malformed input.
        """
        documents, missing, limit = (int(data["documents"]), int(data["missing"]),
                                     int(data["limit"]))
        selected = int(data["selected"])
        if min(documents, missing, selected, int(data["floor"])) < 0 or limit < 1:
            raise ValueError("text counts must be >= 0 and the reservoir limit >= 1")
        counts = []
        for key in ("words", "grams"):
            names, numbers = data[key]
            if len(names) != len(numbers) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"text '{key}' must be a list of tokens and one of counts")
            counts.append(dict(zip(names, (int(n) for n in numbers), strict=True)))
        buckets = [np.asarray(data[key], dtype=np.int64) for key in ("word_buckets",
                                                                      "gram_buckets")]
        if any(b.shape != (BUCKETS,) for b in buckets):
            raise ValueError(f"text buckets must hold {BUCKETS} counts each")
        reservoir = tuple(str(t) for t in data["reservoir"])
        if len(reservoir) != min(limit, documents):
            raise ValueError(f"text reservoir holds {len(reservoir)} texts for {documents} "
                             "documents")
        rows = documents + selected + missing
        descriptors = {str(k): load_column(f"text descriptor {k!r}", v, rows)
                       for k, v in data["descriptors"].items()}
        return cls(documents, missing, counts[0], counts[1], buckets[0], buckets[1], reservoir,
                   descriptors, bool(data["pinned"]), int(data["floor"]), limit, selected)
