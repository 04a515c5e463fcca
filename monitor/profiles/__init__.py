"""Profiles: bounded, mergeable, JSON-able summaries of datasets.

``profile.py`` holds the data shapes (``Profile``, ``ColumnProfile``) and the
JSON form; ``summaries.py`` the numeric and categorical summaries and what is
exact about them; ``builder.py`` turns DataFrame chunks into a profile.
"""

from monitor.profiles.builder import ProfileBuilder, build_profile
from monitor.profiles.profile import (
    CATEGORICAL,
    FORMAT_VERSION,
    KINDS,
    NUMERIC,
    ColumnProfile,
    Kind,
    Profile,
)
from monitor.profiles.summaries import (
    DEFAULT_BINS,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
    CategoricalSummary,
    NumericSummary,
)

__all__ = [
    "CATEGORICAL",
    "DEFAULT_BINS",
    "DEFAULT_SAMPLE_SIZE",
    "DEFAULT_TOP_K",
    "FORMAT_VERSION",
    "KINDS",
    "NUMERIC",
    "CategoricalSummary",
    "ColumnProfile",
    "Kind",
    "NumericSummary",
    "Profile",
    "ProfileBuilder",
    "build_profile",
]
