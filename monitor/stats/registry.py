"""The drift methods by name: what the rule loader validates and ``auto`` chooses from.

``auto`` is a name too: it is resolved per column by ``monitor.stats.decide``.
Multivariate methods (whole rows, not one column) have their own names in
``monitor.stats.multivariate``.
"""

from __future__ import annotations

import difflib

from monitor.profiles import KINDS
from monitor.stats.base import Method
from monitor.stats.categorical import ChiSquare, FisherExact, GTest, ZTest
from monitor.stats.distances import (
    Hellinger,
    JensenShannon,
    KullbackLeibler,
    PopulationStabilityIndex,
    TotalVariation,
)
from monitor.stats.moments import WelchT
from monitor.stats.numeric import AndersonDarling, CramerVonMises, KolmogorovSmirnov, MannWhitney
from monitor.stats.numeric_distances import EnergyDistance, Wasserstein

__all__ = ["AUTO", "get_method", "known_methods", "method_accepts", "methods_for"]

AUTO = "auto"

_METHODS: tuple[Method, ...] = (
    KolmogorovSmirnov(),
    AndersonDarling(),
    CramerVonMises(),
    MannWhitney(),
    WelchT(),
    Wasserstein(),
    EnergyDistance(),
    ChiSquare(),
    GTest(),
    ZTest(),
    FisherExact(),
    PopulationStabilityIndex(),
    JensenShannon(),
    Hellinger(),
    KullbackLeibler(),
    TotalVariation(),
)


def known_methods() -> list[str]:
    """Every name a rule file may give as ``method:``, ``auto`` included, sorted."""
    return sorted([AUTO, *(m.name for m in _METHODS)])


def get_method(name: str) -> Method:
    """The method registered as ``name`` (not ``auto``, which is chosen per column).

    Raises:
        ValueError: the name is unknown; the message lists the known ones.
    """
    for method in _METHODS:
        if method.name == name:
            return method
    if name == AUTO:
        raise ValueError("'auto' is chosen per column; resolve it with monitor.stats.decide")
    names = known_methods()
    hint = difflib.get_close_matches(name, names, n=1)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
    raise ValueError(
        f"unknown drift method '{name}'{suggestion}; known methods: {', '.join(names)}"
    )


def methods_for(kind: str) -> list[Method]:
    """The methods that accept columns of ``kind``, in registry order."""
    return [m for m in _METHODS if kind in m.kinds]


def method_accepts(name: str, kind: str) -> bool:
    """Whether method ``name`` can score a column of ``kind`` (``auto`` accepts every kind).

    Raises:
        ValueError: the method name is unknown.
    """
    if name == AUTO:
        return kind in KINDS
    return kind in get_method(name).kinds
