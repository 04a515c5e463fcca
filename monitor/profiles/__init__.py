"""Profiles: bounded, mergeable, JSON-able summaries of datasets.

``profile.py`` holds the data shapes (``Profile``, ``ColumnProfile``) and the
JSON form; ``summaries.py`` the numeric and categorical summaries and what is
exact about them; ``joint.py`` the row sample multivariate methods use;
``performance.py`` the sums model metrics need; ``readers.py`` how values
are read per kind; ``segments.py`` how rows are split by segment;
``builder.py`` turns DataFrame chunks into a profile; ``aggregates.py``
builds column profiles from aggregates computed elsewhere (such as SQL);
``select.py`` narrows a profile to fewer columns; ``roles.py`` holds the
column roles a profile remembers and the rules they obey.

The lowest layer after the foundation: pure (numpy and pandas only). It must
not import the statistics, rules, sources, store or anything above them.
"""

from monitor.profiles.aggregates import categorical_column, numeric_column
from monitor.profiles.builder import ProfileBuilder, build_profile
from monitor.profiles.joint import DEFAULT_JOINT_SAMPLE_SIZE, JointSample
from monitor.profiles.performance import (
    CLASSIFICATION,
    REGRESSION,
    PerformanceSummary,
    Task,
)
from monitor.profiles.profile import (
    BOOLEAN,
    CATEGORICAL,
    CATEGORY_KINDS,
    DATETIME,
    FORMAT_VERSION,
    KINDS,
    NUMERIC,
    NUMERIC_KINDS,
    READABLE_VERSIONS,
    TEXT,
    ColumnProfile,
    Kind,
    Profile,
)
from monitor.profiles.roles import EXCLUSIVE_ROLES, Roles
from monitor.profiles.segments import DEFAULT_SEGMENT_LIMIT, segment_key
from monitor.profiles.select import segment_columns, without_columns
from monitor.profiles.summaries import (
    DEFAULT_BINS,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
    CategoricalSummary,
    NumericSummary,
)

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "CATEGORY_KINDS",
    "CLASSIFICATION",
    "DATETIME",
    "DEFAULT_BINS",
    "DEFAULT_JOINT_SAMPLE_SIZE",
    "DEFAULT_SAMPLE_SIZE",
    "DEFAULT_SEGMENT_LIMIT",
    "DEFAULT_TOP_K",
    "EXCLUSIVE_ROLES",
    "FORMAT_VERSION",
    "KINDS",
    "NUMERIC",
    "NUMERIC_KINDS",
    "READABLE_VERSIONS",
    "REGRESSION",
    "TEXT",
    "CategoricalSummary",
    "ColumnProfile",
    "JointSample",
    "Kind",
    "NumericSummary",
    "PerformanceSummary",
    "Profile",
    "ProfileBuilder",
    "Roles",
    "Task",
    "build_profile",
    "categorical_column",
    "numeric_column",
    "segment_columns",
    "segment_key",
    "without_columns",
]
