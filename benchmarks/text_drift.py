"""Text drift: false alarms of the vocabulary test from 500 to 100,000 texts, power, time.

Every reference is fresh: a few references per window size (``SIZES``), each
of ``max(2 n, 20,000)`` texts from ``text_data.py``, profiled as
``monitor profile --text`` does (so half of them, every other one, choose
the vocabulary and the others are counted); against each, ``--nulls``
windows of n texts without drift and one window of each shift, profiled as
``monitor compare`` does. It prints, per n:

- the false-alarm rate of the vocabulary test at alpha = 0.05 (and of the
  whole text: descriptors and vocabulary corrected together, as
  ``compare`` decides it), with a naive Pearson chi-square on the word
  occurrences beside it, the test this one replaces;
- the detection rate of a 10-point topic share change and of a new
  template in 5 % of the rows (by the vocabulary test, and by the text);
- the seconds of profiling a window and of testing it.

``--evidently`` (the interpreter of a venv with Evidently 0.7) also runs
Evidently's text drift (a domain classifier on the raw texts) on the same
data for the smaller sizes: verdicts and seconds.

    nice -n 10 .venv/bin/python benchmarks/text_drift.py            # about 20 CPU minutes
    .venv/bin/python benchmarks/text_drift.py --quick               # under a minute
    .venv/bin/python benchmarks/text_drift.py --pooled              # 600 large windows
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from text_data import SCENARIOS, make_corpus

from monitor.analysis import compare
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.profiles.text import words
from monitor.stats.text import vocabulary_test

ALPHA = 0.05
SIZES = {500: (12, 10), 2_000: (10, 10), 10_000: (6, 6), 50_000: (3, 4), 100_000: (2, 4)}
"""Window size → (references, drift-free windows per reference)."""
EVIDENTLY_WINDOWS = 10
"""Evidently's windows per scenario and size (one reference each size)."""


def _profile(texts: list[str], reference: Profile | None = None) -> Profile:
    frame = pd.DataFrame({"review": texts})
    if reference is None:
        return build_profile([frame], kinds={"review": "text"})
    builder = ProfileBuilder(reference=reference)
    for start in range(0, len(texts), 50_000):  # in chunks, as a source reads
        builder.update(frame.iloc[start:start + 50_000])
    return builder.build()


def _occurrences(texts: list[str], vocabulary: dict[str, int]) -> np.ndarray:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in words(text) if w in vocabulary)
    return np.array([counts[w] for w in vocabulary], dtype=np.float64)


def _naive(reference: np.ndarray, current: np.ndarray) -> float:
    """Pearson chi-square on word occurrences (cells seen 5 times on each side)."""
    common = (reference >= 5) & (current >= 5)
    return float(stats.chi2_contingency(np.vstack([reference[common], current[common]]))[1])


def run(sizes: dict[int, tuple[int, int]], seed: int) -> list[dict[str, float]]:
    """One row of the table per window size."""
    corpus = make_corpus()
    rng = np.random.default_rng(seed)
    rows = []
    for n, (references, nulls) in sizes.items():
        found: dict[str, list[float]] = {k: [] for k in (
            "vocabulary", "text", "naive", "profile_seconds", "test_seconds",
            *(f"{s}_{w}" for s in SCENARIOS[1:] for w in ("vocabulary", "text")))}
        started = time.perf_counter()
        for _ in range(references):
            texts = corpus.documents(rng, max(2 * n, 20_000))
            reference = _profile(texts)
            summary = reference.texts["review"]
            ref_words = _occurrences(texts[1::2] if len(texts) > 1 else texts, summary.words)
            for scenario in ["none"] * nulls + list(SCENARIOS[1:]):
                window_texts = corpus.documents(rng, n, scenario)
                clock = time.perf_counter()
                window = _profile(window_texts, reference)
                found["profile_seconds"].append(time.perf_counter() - clock)
                clock = time.perf_counter()
                result = vocabulary_test(summary, window.texts["review"])
                found["test_seconds"].append(time.perf_counter() - clock)
                (text,) = compare(reference, window).texts
                assert result is not None
                if scenario == "none":
                    found["vocabulary"].append(result.p_value < ALPHA)
                    found["text"].append(text.drifted)
                    found["naive"].append(
                        _naive(ref_words, _occurrences(window_texts, summary.words)) < ALPHA)
                else:
                    found[f"{scenario}_vocabulary"].append(result.p_value < ALPHA)
                    found[f"{scenario}_text"].append(text.drifted)
        row = {"n": n, "windows": len(found["vocabulary"]),
               "seconds": time.perf_counter() - started}
        row.update({k: float(np.mean(v)) for k, v in found.items()})
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def pooled(sizes: list[int], references: int, windows: int, seed: int) -> list[str]:
    """False alarms at large windows, many of them: texts drawn with replacement from a pool
    of 200,000 tokenised once (as ``tests/unit/text/test_vocabulary.py`` does), so both
    sides sample the pool exactly and a window costs a sparse sum, not a profile."""
    import dataclasses

    from scipy import sparse

    from monitor.stats.text import reservoir_cells

    corpus = make_corpus()
    rng = np.random.default_rng(seed + 2)
    template = _profile(corpus.documents(rng, 20_000)).texts["review"]
    texts = corpus.documents(rng, 200_000)
    cells = sparse.vstack([sparse.csr_matrix(reservoir_cells(template, texts[i:i + 5000]))
                           for i in range(0, len(texts), 5000)], format="csr")
    split = np.cumsum([len(template.words), len(template.grams), len(template.word_buckets)])

    def summary(rows: np.ndarray, reservoir: tuple[str, ...]) -> object:
        counts = np.asarray(cells[rows].sum(axis=0)).ravel().astype(np.int64)
        word, gram, word_buckets, gram_buckets = np.split(counts, split)
        return dataclasses.replace(
            template, documents=len(rows), reservoir=reservoir, word_buckets=word_buckets,
            gram_buckets=gram_buckets, words=dict(zip(template.words, word.tolist(),
                                                      strict=True)),
            grams=dict(zip(template.grams, gram.tolist(), strict=True)))

    lines = ["| texts per window | reference texts counted | windows | false alarms |",
             "|---:|---:|---:|---:|"]
    for n in sizes:
        alarms = []
        for _ in range(references):
            rows = rng.integers(0, len(texts), 2 * n)
            reference = summary(rows, tuple(texts[i] for i in rows[: template.limit]))
            for _ in range(windows):
                found = vocabulary_test(reference,  # type: ignore[arg-type]
                                        summary(rng.integers(0, len(texts), n), ()))
                assert found is not None
                alarms.append(found.p_value < ALPHA)
        lines.append(f"| {n:,} | {2 * n:,} | {len(alarms)} | {np.mean(alarms):.3f} |")
        print(lines[-1], flush=True)
    return lines


def evidently(python: str, sizes: list[int], seed: int) -> list[str]:
    """Evidently's text drift on the same kind of data, one folder per size: JSON lines."""
    corpus = make_corpus()
    rng = np.random.default_rng(seed + 1)
    with tempfile.TemporaryDirectory() as folder:
        folders = []
        for n in sizes:
            where = Path(folder) / f"n{n}"
            where.mkdir()
            pd.DataFrame({"review": corpus.documents(rng, max(2 * n, 20_000))}).to_parquet(
                where / "reference.parquet")
            for scenario in SCENARIOS:
                for copy in range(EVIDENTLY_WINDOWS):
                    pd.DataFrame({"review": corpus.documents(rng, n, scenario)}).to_parquet(
                        where / f"current_{scenario}_{copy}.parquet")
            folders.append(str(where))
        script = Path(__file__).with_name("text_data.py")
        done = subprocess.run([python, str(script), "evidently", *folders], check=True,
                              capture_output=True, text=True)
    return done.stdout.splitlines()


def _evidently_table(lines: list[str]) -> str:
    """Share of windows Evidently flags, per size and scenario, and its mean seconds."""
    found: dict[tuple[str, str], list[tuple[bool, float]]] = {}
    for line in lines:
        row = json.loads(line)
        scenario = row["data"].split("_")[1]
        found.setdefault((row["folder"], scenario), []).append((row["drifted"],
                                                                row["seconds"]))
    out = ["| texts per window | flagged: none | topic +10 pts | template 5 % | seconds |",
           "|---:|---:|---:|---:|---:|"]
    for folder in dict.fromkeys(f for f, _ in found):
        rates = [np.mean([d for d, _ in found.get((folder, s), [])]) for s in SCENARIOS]
        seconds = np.mean([t for s in SCENARIOS for _, t in found.get((folder, s), [])])
        out.append(f"| {int(folder[1:]):,} | {rates[0]:.2f} | {rates[1]:.2f} | "
                   f"{rates[2]:.2f} | {seconds:.2f} |")
    return "\n".join(out)


def _table(rows: list[dict[str, float]]) -> str:
    lines = ["| texts per window | null windows | false alarms: vocabulary | text (all tests, "
             "Holm) | naive χ² on words | topic +10 pts: vocabulary / text | template 5 %: "
             "vocabulary / text | profile s | test s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {int(r['n']):,} | {int(r['windows'])} | {r['vocabulary']:.3f} | "
            f"{r['text']:.3f} | {r['naive']:.2f} | {r['topic_vocabulary']:.2f} / "
            f"{r['topic_text']:.2f} | {r['template_vocabulary']:.2f} / "
            f"{r['template_text']:.2f} | {r['profile_seconds']:.2f} | "
            f"{r['test_seconds']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two sizes, few windows")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--evidently", help="the Python of a venv with Evidently 0.7")
    parser.add_argument("--only-evidently", action="store_true",
                        help="skip the monitor's side (with --evidently)")
    parser.add_argument("--pooled", action="store_true",
                        help="only the false alarms of many large windows, from a pool")
    args = parser.parse_args()
    sizes = {500: (4, 5), 5_000: (2, 3)} if args.quick else SIZES
    started = time.perf_counter()
    if args.pooled:
        print("\n".join(pooled([10_000, 50_000, 100_000], 20, 10, args.seed)))
    elif not args.only_evidently:
        print(_table(run(sizes, args.seed)))
    if args.evidently:
        print()
        lines = evidently(args.evidently, [n for n in sizes if n <= 10_000], args.seed)
        print("\n".join(lines))
        print()
        print(_evidently_table(lines))
    print(f"\n{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
