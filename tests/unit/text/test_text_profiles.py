"""Text profiles: descriptors, document counts, reservoir; merged, stored, loaded.

The tests of ``monitor.stats.text`` rely on what is checked here: that each
descriptor is exactly what it says on known texts, that counts are exact and
add up across chunks and profiles, and that the summary survives JSON.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from monitor.errors import ProfileError
from monitor.profiles import Profile, ProfileBuilder, build_profile
from monitor.profiles.text import BUCKETS, TEXT_LIMIT, bucket, grams, oov_share, words
from monitor.profiles.text_state import descriptor_profiles

from .corpus import Corpus

TEXTS = ["Hello, world! 42", "", "   ", None, "Été à Paris", "hello hello"]


def _summary(profile: Profile, name: str = "t"):  # type: ignore[no-untyped-def]
    return profile.texts[name]


def test_descriptors_are_exact_on_known_texts() -> None:
    reference = build_profile([pd.DataFrame({"t": TEXTS})], kinds={"t": "text"})
    window = ProfileBuilder(reference=reference)
    window.update(pd.DataFrame({"t": TEXTS}))
    found = descriptor_profiles(window.build().texts["t"])
    words_column = found["words"]
    # words: 3, 0, 0, (missing), 3, 2
    assert (words_column.count, words_column.missing) == (5, 1)
    assert words_column.numeric is not None
    assert words_column.numeric.mean == pytest.approx((3 + 0 + 0 + 3 + 2) / 5)
    # non-letters among the non-space characters: "Hello,world!42" has 4 of 14
    non_letter = found["non_letter_share"]
    assert non_letter.count == 3 and non_letter.numeric is not None
    assert non_letter.numeric.mean == pytest.approx((4 / 14 + 0 + 0) / 3)
    empty = found["empty"]
    assert empty.count == 5 and empty.numeric is not None
    assert empty.numeric.mean == pytest.approx(2 / 5)
    # out of vocabulary: the reference chose its words on its 2nd and 4th texts ("" and
    # "Été à Paris"), so "hello", "world" and "42" are out of it
    oov = found["oov_share"]
    assert oov.count == 3 and oov.numeric is not None
    assert oov.numeric.mean == pytest.approx((1 + 0 + 1) / 3)


def test_tokens_are_lower_cased_unicode_words_and_their_3_grams() -> None:
    assert words("Été: 3 CAFÉS") == ["été", "3", "cafés"]
    assert grams(["ab", "c"]) == {" ab", "ab ", "b c", " c "}
    assert math.isnan(oov_share("!!", {}))
    assert oov_share("a b c d", {"a": 1}) == 0.75
    assert 0 <= bucket("word") < BUCKETS and bucket("word") == bucket("word")


def test_counts_are_documents_and_merge_by_addition() -> None:
    rng = np.random.default_rng(0)
    corpus = Corpus()
    reference = build_profile([pd.DataFrame({"t": corpus.documents(rng, 3000)})],
                              kinds={"t": "text"})
    first, second = corpus.documents(rng, 700), corpus.documents(rng, 500)
    whole = ProfileBuilder(reference=reference)
    whole.update(pd.DataFrame({"t": first}))
    whole.update(pd.DataFrame({"t": second}))
    parts = []
    for texts in (first, second):
        builder = ProfileBuilder(reference=reference)
        builder.update(pd.DataFrame({"t": texts}))
        parts.append(builder.build())
    merged = parts[0].merge(parts[1]).texts["t"]
    together = whole.build().texts["t"]
    assert merged.pinned and together.pinned
    assert np.array_equal(merged.cells(), together.cells())
    assert merged.documents == together.documents == 1200
    # a word's count is the number of texts holding it, however often each repeats it
    top = next(iter(reference.texts["t"].words))
    expected = sum(top in set(words(t[:TEXT_LIMIT])) for t in first + second)
    assert together.words[top] == expected
    # every distinct token of every text is counted once, in its cell or its bucket
    distinct = sum(len(set(words(t))) for t in first + second)
    assert sum(together.words.values()) + int(together.word_buckets.sum()) == distinct


def test_a_reference_chooses_its_vocabulary_on_other_texts_than_it_counts() -> None:
    """Every other text chooses the top tokens, the others are counted (the winner's curse)."""
    texts = ["alpha beta", "alpha", "gamma", "gamma", "gamma delta", "alpha"]
    summary = build_profile([pd.DataFrame({"t": texts})], kinds={"t": "text"}).texts["t"]
    assert (summary.selected, summary.documents) == (3, 3)
    # chosen on texts 1, 3, 5 ("alpha", "gamma", "alpha"): alpha first, then gamma
    assert list(summary.words)[:2] == ["alpha", "gamma"]
    # counted on texts 0, 2, 4 ("alpha beta", "gamma", "gamma delta")
    assert summary.words["alpha"] == 1 and summary.words["gamma"] == 2
    assert int(summary.word_buckets.sum()) == 2  # beta and delta
    assert set(summary.reservoir) == {"alpha beta", "gamma", "gamma delta"}


def test_json_round_trip_and_profiles_without_text_keep_their_document() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"t": Corpus().documents(rng, 400), "x": rng.normal(size=400)})
    profile = build_profile([frame], kinds={"t": "text"})
    loaded = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert loaded.texts["t"] == profile.texts["t"]
    assert loaded.content_hash() == profile.content_hash()
    plain = build_profile([frame[["x"]]])
    assert "texts" not in plain.to_dict()  # so its hash is the one it always had
    old = plain.to_dict()
    assert Profile.from_dict(old).texts == {}


def test_an_old_profile_of_a_text_column_still_compares() -> None:
    """A profile saved before text summaries: its text column compares by length only."""
    rng = np.random.default_rng(2)
    corpus = Corpus()
    profile = build_profile([pd.DataFrame({"t": corpus.documents(rng, 500)})],
                            kinds={"t": "text"})
    old = {k: v for k, v in profile.to_dict().items() if k != "texts"}
    reference = Profile.from_dict(old)
    builder = ProfileBuilder(reference=reference)
    builder.update(pd.DataFrame({"t": corpus.documents(rng, 300)}))
    current = builder.build()
    assert current.texts == {} and current.columns["t"].kind == "text"


def test_unpinned_parts_merge_on_the_tokens_both_kept() -> None:
    a = build_profile([pd.DataFrame({"t": ["x y", "x y", "x z", "x z"]})], kinds={"t": "text"})
    b = build_profile([pd.DataFrame({"t": ["x w", "x w", "x q", "x q"]})], kinds={"t": "text"})
    merged = a.merge(b).texts["t"]
    assert not merged.pinned and merged.documents == 4 and merged.selected == 4
    assert dict(merged.words) == {"x": 4}
    # the tokens one side kept go back to their buckets: nothing is lost
    assert int(merged.word_buckets.sum()) == 4  # y, z, w, q
    assert merged.word_buckets[bucket("y")] >= 1 and merged.word_buckets[bucket("q")] >= 1


def test_malformed_texts_fail_clearly() -> None:
    profile = build_profile([pd.DataFrame({"t": ["a b", "c"]})], kinds={"t": "text"})
    data = profile.to_dict()
    data["texts"]["t"]["word_buckets"] = [1, 2]
    with pytest.raises(ProfileError, match=r"malformed profile 'texts'.*buckets"):
        Profile.from_dict(data)
