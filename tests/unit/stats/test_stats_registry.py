"""Tests of the method registry the rule loader and `auto` consult."""

from __future__ import annotations

import pytest

from monitor.stats import get_method, known_methods, method_accepts, methods_for


def test_known_methods() -> None:
    """Every implemented method and `auto` are known, sorted."""
    assert known_methods() == ["auto", "chisquare", "jensenshannon", "ks", "psi", "wasserstein"]


def test_method_accepts_by_kind() -> None:
    """Kinds are accepted as each method declares; `auto` accepts every kind."""
    assert method_accepts("ks", "numeric") and not method_accepts("ks", "categorical")
    assert method_accepts("chisquare", "categorical") and not method_accepts("chisquare", "numeric")
    assert method_accepts("psi", "numeric") and method_accepts("psi", "categorical")
    assert method_accepts("auto", "categorical") and not method_accepts("auto", "colour")


def test_methods_for_kind() -> None:
    """methods_for lists the methods of a kind."""
    assert [m.name for m in methods_for("numeric")] == ["ks", "wasserstein", "psi", "jensenshannon"]
    assert [m.name for m in methods_for("categorical")] == ["chisquare", "psi", "jensenshannon"]


def test_unknown_method_lists_known_ones() -> None:
    """An unknown name is a ValueError with a suggestion and the known names."""
    with pytest.raises(ValueError, match=r"unknown drift method 'kss' \(did you mean 'ks'\?\); "
                                         r"known methods: auto, chisquare"):
        get_method("kss")
    with pytest.raises(ValueError, match="unknown drift method 'x'"):
        method_accepts("x", "numeric")


def test_methods_declare_their_thresholds() -> None:
    """p-value methods default to 0.05, distances to 0.1."""
    kinds = {name: (get_method(name).kind_of_threshold, get_method(name).default_threshold)
             for name in known_methods() if name != "auto"}
    assert kinds == {"chisquare": ("p_value", 0.05), "ks": ("p_value", 0.05),
                     "jensenshannon": ("distance", 0.1), "psi": ("distance", 0.1),
                     "wasserstein": ("distance", 0.1)}
