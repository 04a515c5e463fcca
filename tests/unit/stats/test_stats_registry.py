"""Tests of the method registry the rule loader and `auto` consult."""

from __future__ import annotations

import pytest

from monitor.stats import get_method, known_methods, method_accepts, methods_for


def test_known_methods() -> None:
    """Every implemented method and `auto` are known, sorted."""
    assert known_methods() == [
        "anderson", "auto", "chisquare", "cramervonmises", "energy", "fisher", "gtest",
        "hellinger", "jensenshannon", "kl", "ks", "mannwhitney", "psi", "ttest", "tvd",
        "wasserstein", "ztest"]


def test_method_accepts_by_kind() -> None:
    """Kinds are accepted as each method declares; `auto` accepts every kind."""
    assert method_accepts("ks", "numeric") and not method_accepts("ks", "categorical")
    assert method_accepts("chisquare", "categorical") and method_accepts("chisquare", "numeric")
    assert method_accepts("ztest", "boolean") and not method_accepts("ztest", "numeric")
    assert method_accepts("ks", "datetime") and method_accepts("ks", "text")
    assert method_accepts("psi", "numeric") and method_accepts("psi", "categorical")
    assert method_accepts("auto", "categorical") and not method_accepts("auto", "colour")


def test_methods_for_kind() -> None:
    """methods_for lists the methods of a kind."""
    assert [m.name for m in methods_for("numeric")] == [
        "ks", "anderson", "cramervonmises", "mannwhitney", "ttest", "wasserstein", "energy",
        "chisquare", "gtest", "psi", "jensenshannon", "hellinger", "kl", "tvd"]
    assert [m.name for m in methods_for("categorical")] == [
        "chisquare", "gtest", "ztest", "fisher", "psi", "jensenshannon", "hellinger", "kl", "tvd"]


def test_unknown_method_lists_known_ones() -> None:
    """An unknown name is a ValueError with a suggestion and the known names."""
    with pytest.raises(ValueError, match=r"unknown drift method 'kss' \(did you mean 'ks'\?\); "
                                         r"known methods: anderson, auto, chisquare"):
        get_method("kss")
    with pytest.raises(ValueError, match="unknown drift method 'x'"):
        method_accepts("x", "numeric")


def test_methods_declare_their_thresholds() -> None:
    """p-value methods default to 0.05; distances have their documented defaults."""
    kinds = {name: (get_method(name).kind_of_threshold, get_method(name).default_threshold)
             for name in known_methods() if name != "auto"}
    tests = ["anderson", "chisquare", "cramervonmises", "fisher", "gtest", "ks", "mannwhitney",
             "ttest", "ztest"]
    assert kinds == {**{name: ("p_value", 0.05) for name in tests},
                     "jensenshannon": ("distance", 0.1), "psi": ("distance", 0.1),
                     "wasserstein": ("distance", 0.1), "energy": ("distance", 0.07),
                     "hellinger": ("distance", 0.1), "kl": ("distance", 0.05),
                     "tvd": ("distance", 0.1)}
