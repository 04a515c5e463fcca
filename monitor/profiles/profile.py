"""Profiles: small, mergeable, JSON-able summaries of a dataset, column by column.

A ``Profile`` is what the monitor keeps of a dataset: comparing two profiles
never needs the rows again. ``merge`` combines the profiles of two parts into
the profile of the whole (see ``monitor.profiles.summaries`` for what is exact
and what is bounded). ``to_dict``/``from_dict`` give a versioned JSON form and
``content_hash`` a stable digest of it.

Every value of a column is in exactly one of ``count`` (valid values: finite
numbers, or categories), ``missing`` (null/NaN), ``invalid`` (not readable as
the column's kind, such as ``"abc"`` in a numeric column) or, for numeric
columns, ``numeric.nonfinite`` (±inf).

**Kinds.** ``numeric``, ``datetime`` (seconds since the epoch, UTC) and
``text`` (length in characters) keep a ``NumericSummary``; ``categorical``
and ``boolean`` (categories ``True``/``False``) a ``CategoricalSummary``.

**Beyond columns.** A profile may also hold a ``JointSample`` of whole rows
of its numeric columns (for multivariate methods), a ``PerformanceSummary``
of predictions against labels, and the profiles of its ``segments`` (the
rows of one value of a column, keyed ``column=value``).

**Roles.** A profile may remember what its columns are for (``Roles``), so
that a comparison need not say it again. Only a profile with roles has the
key ``roles``: one without keeps the document, and the hash, it always had.

**Format.** Version 2 added the kinds beyond numeric and categorical,
``joint``, ``performance`` and ``segments``; version 1 profiles load as they
are (they have none of these). Version 3 added the fine histogram of each
numeric column (``monitor.profiles.fine``); a reference of version 1 or 2
has none, so its numeric tests read the samples as before, and the
comparison says so (rebuild it with ``monitor profile`` for exact tests).
``roles`` is optional in all, and so are
``estimator`` (a reference's fitted performance estimator),
``estimation`` (a window's state on it) and ``embeddings`` (vector columns,
``monitor.profiles.embeddings``), which only profiles with them have; so is
``texts`` (free-text columns beyond their length, ``monitor.profiles.text``),
which only profiles with text columns have.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from monitor.errors import ProfileError
from monitor.profiles.embeddings import EmbeddingSummary
from monitor.profiles.estimation.estimator import Estimator, decode_array, encode_array
from monitor.profiles.joint import JointSample
from monitor.profiles.parts import merge_named, merge_part, same_estimator, sum_states
from monitor.profiles.performance import PerformanceSummary
from monitor.profiles.roles import Roles
from monitor.profiles.summaries import CategoricalSummary, NumericSummary
from monitor.profiles.text import TextSummary

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "CATEGORY_KINDS",
    "DATETIME",
    "FORMAT_VERSION",
    "KINDS",
    "NUMERIC",
    "NUMERIC_KINDS",
    "READABLE_VERSIONS",
    "TEXT",
    "ColumnProfile",
    "Kind",
    "Profile",
    "Roles",
]

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

# Kinds name how a column is read; they share two summaries: numbers (also
# times and text lengths) and categories (also booleans).
Kind = Literal["numeric", "categorical", "boolean", "datetime", "text"]
NUMERIC: Kind = "numeric"
CATEGORICAL: Kind = "categorical"
BOOLEAN: Kind = "boolean"
DATETIME: Kind = "datetime"
TEXT: Kind = "text"
NUMERIC_KINDS: frozenset[str] = frozenset({NUMERIC, DATETIME, TEXT})
CATEGORY_KINDS: frozenset[str] = frozenset({CATEGORICAL, BOOLEAN})
KINDS: frozenset[str] = NUMERIC_KINDS | CATEGORY_KINDS


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """The profile of one column: its kind, value counts and the summary of its kind."""

    kind: Kind
    count: int
    missing: int
    invalid: int = 0
    numeric: NumericSummary | None = None
    categorical: CategoricalSummary | None = None

    @property
    def nonfinite(self) -> int:
        """Number of ±inf values (numeric columns; 0 otherwise)."""
        return self.numeric.nonfinite if self.numeric is not None else 0

    @property
    def rows(self) -> int:
        """Rows this column was seen in (valid, missing, invalid and non-finite)."""
        return self.count + self.missing + self.invalid + self.nonfinite

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """Profile of this column over both parts."""
        if other.kind != self.kind:
            raise ProfileError(
                f"cannot merge a {self.kind} column with a {other.kind} one; "
                "profile both parts with the same reference or the same `categorical` list"
            )
        numeric = categorical = None
        if self.numeric is not None and other.numeric is not None:
            numeric = self.numeric.merge(self.count, other.numeric, other.count)
        if self.categorical is not None and other.categorical is not None:
            categorical = self.categorical.merge(other.categorical)
        return ColumnProfile(
            self.kind,
            self.count + other.count,
            self.missing + other.missing,
            self.invalid + other.invalid,
            numeric,
            categorical,
        )

    def with_missing_rows(self, rows: int) -> ColumnProfile:
        """The same column with ``rows`` more missing values (rows where it was absent)."""
        return ColumnProfile(
            self.kind, self.count, self.missing + rows, self.invalid, self.numeric,
            self.categorical,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "count": self.count,
            "missing": self.missing,
            "invalid": self.invalid,
        }
        if self.numeric is not None:
            out["numeric"] = self.numeric.to_dict()
        if self.categorical is not None:
            out["categorical"] = self.categorical.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class Profile:
    """A dataset's profile: total rows, one ``ColumnProfile`` per column, extra column names.

    ``extra_columns`` lists columns the data had but the reference it was
    profiled against did not (they are not profiled). ``joint``,
    ``performance``, ``segments`` and ``roles`` are optional (see the module docstring).
    """

    rows: int
    columns: Mapping[str, ColumnProfile]
    extra_columns: tuple[str, ...] = field(default=())
    joint: JointSample | None = None
    performance: PerformanceSummary | None = None
    segments: Mapping[str, Profile] = field(default_factory=dict)
    roles: Roles | None = None
    estimator: Estimator | None = None
    """A reference's fitted performance estimator (``monitor.profiles.estimation``)."""
    estimation: np.ndarray | None = None
    """A window's estimation state, added up on its reference's estimator."""
    embeddings: Mapping[str, EmbeddingSummary] = field(default_factory=dict)
    """Vector columns: an exact mean and a bounded sample of vectors each."""
    texts: Mapping[str, TextSummary] = field(default_factory=dict)
    """Text columns: descriptors, vocabulary counts and a reservoir of texts each."""

    def __repr__(self) -> str:  # the summaries' arrays would fill a notebook's screen
        kinds = ", ".join(f"{n}: {c.kind}" for n, c in list(self.columns.items())[:20])
        more = f", ... ({len(self.columns)} columns)" if len(self.columns) > 20 else ""
        return f"<Profile of {self.rows:,} rows: {kinds}{more}; {self.roles or 'no roles'}>"

    def merge(self, other: Profile) -> Profile:
        """Profile of both parts; a column absent from one part counts its rows as missing."""
        columns: dict[str, ColumnProfile] = {}
        for name, column in self.columns.items():
            theirs = other.columns.get(name)
            columns[name] = (
                column.merge(theirs) if theirs is not None else column.with_missing_rows(other.rows)
            )
        for name, column in other.columns.items():
            if name not in columns:
                columns[name] = column.with_missing_rows(self.rows)
        extra = dict.fromkeys(self.extra_columns + other.extra_columns)
        segments = dict(self.segments)
        for key, segment in other.segments.items():
            segments[key] = segments[key].merge(segment) if key in segments else segment
        return Profile(self.rows + other.rows, columns, tuple(extra),
                       merge_part(self.joint, other.joint, self.rows, other.rows),
                       merge_part(self.performance, other.performance, self.rows, other.rows),
                       segments, self.roles if self.roles == other.roles else None,
                       same_estimator(self.estimator, other.estimator),
                       sum_states(self.estimation, other.estimation, self.rows, other.rows),
                       merge_named(self.embeddings, other.embeddings),
                       merge_named(self.texts, other.texts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with ``format_version``; optional parts only when present."""
        out: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "rows": self.rows,
            "columns": {name: column.to_dict() for name, column in self.columns.items()},
            "extra_columns": list(self.extra_columns),
        }
        if self.joint is not None:
            out["joint"] = self.joint.to_dict()
        if self.performance is not None:
            out["performance"] = self.performance.to_dict()
        if self.segments:
            out["segments"] = {key: {k: v for k, v in part.to_dict().items()
                                     if k != "format_version"}
                               for key, part in self.segments.items()}
        if self.roles is not None:
            out["roles"] = self.roles.to_dict()
        if self.estimator is not None:
            out["estimator"] = self.estimator.to_dict()
        if self.embeddings:
            out["embeddings"] = {k: v.to_dict() for k, v in self.embeddings.items()}
        if self.texts:
            out["texts"] = {k: v.to_dict() for k, v in self.texts.items()}
        if self.estimation is not None:
            out["estimation"] = {"shape": list(self.estimation.shape),
                                 "values": encode_array(self.estimation, "<f8")}
        return out

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_dict`` as JSON to ``path`` (what ``monitor profile --out`` writes).

        Raises:
            ProfileError: the file cannot be written (the message names it).
        """
        target = Path(path)
        try:
            target.write_text(json.dumps(self.to_dict()), encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"cannot write the profile to '{target}': "
                               f"{exc.strerror or exc}") from exc
        return target

    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON form: equal profiles, equal hashes."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Load a profile written by ``to_dict``.

        Raises:
            ProfileError: unknown ``format_version``, or a malformed or
                inconsistent profile (the message names the column and field).
        """
        if not isinstance(data, Mapping):
            raise ProfileError(f"a profile must be a JSON object, got {type(data).__name__}")
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ProfileError(
                f"profile format_version {version!r} is not supported (this monitor reads "
                f"versions {', '.join(map(str, READABLE_VERSIONS))}); rebuild the profile "
                "with `monitor profile`"
            )
        return cls._load(data, "profile")

    @classmethod
    def _load(cls, data: Mapping[str, Any], where: str) -> Profile:
        if not isinstance(data, Mapping):
            raise ProfileError(f"{where} must be a JSON object, got {type(data).__name__}")
        try:
            rows = _nonnegative(data["rows"], "rows")
            raw_columns = data["columns"]
            raw_extra = data.get("extra_columns", [])
            if not isinstance(raw_extra, list):
                raise TypeError(f"'extra_columns' must be a list of names, got {raw_extra!r:.80}")
            extra = tuple(str(n) for n in raw_extra)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"malformed {where}: {_describe(exc)}") from exc
        if not isinstance(raw_columns, Mapping):
            raise ProfileError(f"{where} 'columns' must be an object, got {raw_columns!r:.80}")
        columns = {str(k): _load_column(f"{where} column {str(k)!r}", raw, rows)
                   for k, raw in raw_columns.items()}
        try:
            joint = JointSample.from_dict(data["joint"]) if "joint" in data else None
            performance = (PerformanceSummary.from_dict(data["performance"])
                           if "performance" in data else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"malformed {where}: {_describe(exc)}") from exc
        raw_segments = data.get("segments", {})
        if not isinstance(raw_segments, Mapping):
            raise ProfileError(f"{where} 'segments' must be an object, got {raw_segments!r:.80}")
        segments = {str(k): cls._load(part, f"{where} segment {str(k)!r}")
                    for k, part in raw_segments.items()}
        roles = Roles.from_dict(data["roles"]) if data.get("roles") is not None else None
        estimator = Estimator.from_dict(data["estimator"]) if "estimator" in data else None
        try:
            estimation = (decode_array(data["estimation"]["values"], "<f8").reshape(
                data["estimation"]["shape"]) if "estimation" in data else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"malformed {where} 'estimation': {_describe(exc)}") from exc
        try:
            embeddings = {str(k): EmbeddingSummary.from_dict(v)
                          for k, v in data.get("embeddings", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProfileError(f"malformed {where} 'embeddings': {_describe(exc)}") from exc
        try:
            texts = {str(k): TextSummary.from_dict(v, _load_column)
                     for k, v in data.get("texts", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProfileError(f"malformed {where} 'texts': {_describe(exc)}") from exc
        return cls(rows, columns, extra, joint, performance, segments, roles, estimator,
                   estimation, embeddings, texts)


def _load_column(where: str, data: Any, rows: int) -> ColumnProfile:
    try:
        kind = data["kind"]
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is unknown; known kinds: {', '.join(sorted(KINDS))}")
        column = ColumnProfile(
            kind=kind,
            count=_nonnegative(data["count"], "count"),
            missing=_nonnegative(data["missing"], "missing"),
            invalid=_nonnegative(data.get("invalid", 0), "invalid"),
            numeric=(NumericSummary.from_dict(data["numeric"]) if kind in NUMERIC_KINDS
                     else None),
            categorical=(CategoricalSummary.from_dict(data["categorical"])
                         if kind in CATEGORY_KINDS else None),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{where}: {_describe(exc)}") from exc
    problem = _inconsistency(column, rows)
    if problem:
        raise ProfileError(f"{where}: {problem}; the profile is corrupt or was edited by hand")
    return column


def _inconsistency(column: ColumnProfile, rows: int) -> str | None:
    if column.rows > rows:
        return f"it accounts for {column.rows} values but the profile has {rows} rows"
    if column.numeric is not None:
        edges, counts = len(column.numeric.edges), column.numeric.counts
        expected = edges + 1 if edges else 0
        if len(counts) != expected:
            return f"{edges} histogram edges need {expected} counts, got {len(counts)}"
        if len(counts) and int(counts.sum()) != column.count:
            return f"histogram counts add up to {int(counts.sum())}, not count {column.count}"
        sample = len(column.numeric.sample)
        if sample != min(column.numeric.sample_limit, column.count):
            return f"sample holds {sample} values for count {column.count}"
        if np.any(np.diff(column.numeric.sample) < 0) or np.any(np.diff(column.numeric.edges) < 0):
            return "sample or histogram edges are not sorted"
        fine = column.numeric.fine_counts
        if fine.size and int(fine.sum()) != column.count:
            return f"fine histogram counts add up to {int(fine.sum())}, not count {column.count}"
    if column.categorical is not None:
        total = sum(column.categorical.counts.values()) + column.categorical.other
        if total != column.count:
            return f"category counts add up to {total}, not count {column.count}"
    return None


def _nonnegative(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{name}' must be an integer >= 0, got {value!r}")
    return value


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)
