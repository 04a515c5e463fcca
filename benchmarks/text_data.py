"""Synthetic review-like texts for ``text_drift.py`` (and the shape the unit tests copy).

Documents are bags of pseudo-words (syllables, so no language is assumed)
drawn the way real texts behave, which is what breaks a naive token test:

- six topics with unequal shares (30 % down to 8 %), each with its own 2,000
  words, plus 300 function words every topic uses, all Zipf-distributed;
- lengths over-dispersed (negative binomial, mean about 30 words);
- bursty: 30 % of the words of a document repeat one it already used;
- sentences end with a full stop, and one document in ten carries a number.

The shifts:

- ``topic``: 10 points of share move from the largest topic to the smallest;
- ``template``: 5 % of the rows are a new machine-written message
  ("order 123456 shipped to ..."), words never seen before.

Run with Evidently's interpreter as ``python text_data.py evidently FOLDER...``,
it reads each ``FOLDER/reference.parquet`` and ``FOLDER/current_*.parquet``
(column ``review``) and prints one JSON line per data set with Evidently's
text drift verdict (``DataDriftPreset`` on a text column: its domain
classifier's ROC AUC, drift above 0.55), score and seconds.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SHARES = np.array([0.30, 0.22, 0.16, 0.13, 0.11, 0.08])
TOPIC_WORDS = 2_000
COMMON_WORDS = 300
COMMON_SHARE = 0.45
REPEAT = 0.3
MEAN_LENGTH = 30
SCENARIOS = ("none", "topic", "template")
TEMPLATE_SHARE = 0.05
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CITIES = ["lyon", "porto", "gdansk", "leeds", "graz", "turku", "bari", "cork"]


@dataclass(frozen=True)
class Corpus:
    """The generating model: the words of each topic and the shared function words."""

    common: list[str]
    topics: list[list[str]]
    zipf_common: np.ndarray
    zipf_topic: np.ndarray

    def documents(self, rng: np.random.Generator, n: int, scenario: str = "none") -> list[str]:
        """``n`` documents, the ``scenario``'s shift applied."""
        shares = SHARES.copy()
        if scenario == "topic":
            shares[0] -= 0.10
            shares[-1] += 0.10
        elif scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        topic = rng.choice(len(shares), n, p=shares)
        lengths = 1 + rng.negative_binomial(3, 3 / (3 + MEAN_LENGTH - 1), n)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        total = int(lengths.sum())
        owner = np.repeat(np.arange(n), lengths)
        position = np.arange(total) - starts[owner]
        common = rng.random(total) < COMMON_SHARE
        index = np.where(common, rng.choice(COMMON_WORDS, total, p=self.zipf_common),
                         rng.choice(TOPIC_WORDS, total, p=self.zipf_topic))
        repeat = (rng.random(total) < REPEAT) & (position > 0)
        back = np.floor(rng.random(total) * np.maximum(position, 1)).astype(np.int64) + 1
        source = np.where(repeat, np.arange(total) - back, np.arange(total))
        index, common = index[source], common[source]
        texts = []
        numbers = rng.random(n) < 0.1
        for doc in range(n):
            words = self.topics[topic[doc]]
            part = slice(starts[doc], starts[doc] + lengths[doc])
            said = [self.common[i] if c else words[i]
                    for i, c in zip(index[part].tolist(), common[part].tolist(), strict=True)]
            if numbers[doc]:
                said.insert(len(said) // 2, str(int(rng.integers(1, 500))))
            cut = max(1, len(said) // 2)
            texts.append(" ".join(said[:cut]).capitalize() + ". " + " ".join(said[cut:]) + ".")
        if scenario == "template":
            chosen = np.flatnonzero(rng.random(n) < TEMPLATE_SHARE)
            for doc in chosen:
                texts[doc] = (f"Order {rng.integers(100000, 999999)} shipped to "
                              f"{_CITIES[int(rng.integers(len(_CITIES)))]}, track it with "
                              f"code {rng.integers(1000, 9999)}.")
        return texts


def make_corpus(seed: int = 2026) -> Corpus:
    """Pseudo-words of 1 to 4 syllables, distinct across the topics and the function words."""
    rng = np.random.default_rng(seed)
    needed = COMMON_WORDS + len(SHARES) * TOPIC_WORDS
    seen: dict[str, None] = {}
    while len(seen) < needed:
        size = 1 + int(rng.integers(0, 4)) if len(seen) >= COMMON_WORDS else 1 + int(
            rng.integers(0, 2))
        seen["".join(rng.choice(_SYLLABLES, size))] = None
    words = list(seen)
    topics = [words[COMMON_WORDS + t * TOPIC_WORDS: COMMON_WORDS + (t + 1) * TOPIC_WORDS]
              for t in range(len(SHARES))]

    def zipf(size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, size + 1) ** 1.05
        return np.asarray(weights / weights.sum())

    return Corpus(words[:COMMON_WORDS], topics, zipf(COMMON_WORDS), zipf(TOPIC_WORDS))


def _evidently(folders: list[str]) -> None:
    """Evidently's text drift (domain classifier) on each folder's data sets; JSON lines."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(text_columns=["review"])
    for folder in map(Path, folders):
        reference = pd.read_parquet(folder / "reference.parquet")
        for path in sorted(folder.glob("current_*.parquet")):
            current = pd.read_parquet(path)
            started = time.perf_counter()
            report = Report([DataDriftPreset(columns=["review"])])
            snapshot = report.run(Dataset.from_pandas(current, data_definition=definition),
                                  Dataset.from_pandas(reference, data_definition=definition))
            seconds = time.perf_counter() - started
            found: dict[str, Any] = {"folder": folder.name, "data": path.stem,
                                     "seconds": round(seconds, 3)}
            for metric in snapshot.dict()["metrics"]:
                value, config = metric.get("value"), metric.get("config", {})
                if config.get("type", "").endswith("DriftedColumnsCount"):
                    found["drifted"] = bool(value["count"])
                elif isinstance(value, int | float):  # ValueDrift: its method's score
                    found.update(score=float(value), method=config.get("method"),
                                 threshold=config.get("threshold"))
            print(json.dumps(found), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "evidently":
        _evidently(sys.argv[2:])
    else:
        sys.exit("usage: python text_data.py evidently FOLDER...")
