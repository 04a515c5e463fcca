"""Review-like texts for the text tests: bursty bags of pseudo-words, topics of unequal size.

The same model as ``benchmarks/text_data.py``, smaller: what matters is
that words repeat within a document and topics tie words together, which is
what makes a naive token count test raise false alarms.
"""

from __future__ import annotations

import numpy as np

SHARES = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


class Corpus:
    """Pseudo-words of 1 to 4 syllables: 200 function words, 800 per topic."""

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        seen: dict[str, None] = {}
        while len(seen) < 200 + 800 * len(SHARES):
            seen["".join(rng.choice(_SYLLABLES, 1 + int(rng.integers(0, 4))))] = None
        words = list(seen)
        self.common = words[:200]
        self.topics = [words[200 + 800 * t: 200 + 800 * (t + 1)] for t in range(len(SHARES))]
        self.zipf_common = _zipf(200)
        self.zipf_topic = _zipf(800)

    def documents(self, rng: np.random.Generator, n: int, scenario: str = "none") -> list[str]:
        """``n`` texts; ``topic`` moves 10 points from the first topic to the last,
        ``template`` makes 5 % of them one new machine-written message."""
        shares = SHARES.copy()
        if scenario == "topic":
            shares[0] -= 0.10
            shares[-1] += 0.10
        topic = rng.choice(len(shares), n, p=shares)
        lengths = 1 + rng.negative_binomial(3, 3 / 22, n)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        total = int(lengths.sum())
        position = np.arange(total) - np.repeat(starts, lengths)
        common = rng.random(total) < 0.45
        index = np.where(common, rng.choice(200, total, p=self.zipf_common),
                         rng.choice(800, total, p=self.zipf_topic))
        # 30 % of the words repeat an earlier word of the same text
        back = (rng.random(total) * np.maximum(position, 1)).astype(np.int64) + 1
        source = np.where((rng.random(total) < 0.3) & (position > 0),
                          np.arange(total) - back, np.arange(total))
        index, common = index[source].tolist(), common[source].tolist()
        texts = []
        for doc in range(n):
            words = self.topics[topic[doc]]
            part = range(starts[doc], starts[doc] + lengths[doc])
            texts.append(" ".join(self.common[index[i]] if common[i] else words[index[i]]
                                  for i in part).capitalize() + ".")
        if scenario == "template":
            for chosen in np.flatnonzero(rng.random(n) < 0.05).tolist():
                texts[chosen] = (f"Order {rng.integers(10**5, 10**6)} shipped to porto, track "
                                 f"it with code {rng.integers(1000, 9999)}.")
        return texts


def _zipf(size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** 1.05
    return np.asarray(weights / weights.sum())
