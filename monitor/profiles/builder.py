"""Building a profile from DataFrame chunks, one chunk at a time.

Memory stays bounded whatever the number of rows: each column keeps its
moments, a histogram, a sample of at most ``sample_size`` values and at most
``top_k`` categories; the joint sample at most ``joint_sample_size`` rows;
each segment a profile with samples of ``segment_sample_size``. All work on
a chunk is vectorised (numpy/pandas).

Without a reference, a column's kind is inferred from its dtype (see
``monitor.profiles.readers.infer_kind``; ``kinds`` forces one, such as
``text`` for free text or ``categorical`` for codes stored as numbers) and
histogram edges are chosen from the data when ``build()`` is called. With a
reference, kinds, edges and segments come from it: values are read as the
reference kind, those that cannot be read count as ``invalid``, and columns
the reference does not know are only listed in ``Profile.extra_columns``.

``prediction`` and ``target`` name the model's output and its label: when a
chunk holds both, they feed the ``PerformanceSummary``. The target is never
profiled as a column.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from monitor.errors import ProfileError
from monitor.profiles import readers
from monitor.profiles.columns import CategoricalColumn, NumericColumn
from monitor.profiles.embeddings import EMBEDDING_SAMPLE, EmbeddingSet
from monitor.profiles.estimation import EstimatorFitter
from monitor.profiles.estimation.fitting import ScoreSpec
from monitor.profiles.joint import DEFAULT_JOINT_SAMPLE_SIZE, JointSampler
from monitor.profiles.performance import PerformanceAccumulator, Task
from monitor.profiles.profile import (
    CATEGORICAL,
    KINDS,
    NUMERIC,
    NUMERIC_KINDS,
    ColumnProfile,
    Kind,
    Profile,
)
from monitor.profiles.segments import (
    DEFAULT_SEGMENT_LIMIT,
    DEFAULT_SEGMENT_SAMPLE_SIZE,
    SegmentRouter,
)
from monitor.profiles.summaries import (
    DEFAULT_BINS,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_TOP_K,
)
from monitor.profiles.text_state import TextSet

__all__ = ["ProfileBuilder", "build_profile"]



class ProfileBuilder:
    """Accumulates DataFrame chunks into a ``Profile``.

    Args:
        categorical: columns to read as categorical although their dtype is numeric.
        exclude: columns to ignore entirely (the timestamp column, ids).
        reference: profile whose kinds, histogram edges and segments to use.
        sample_size: bound of the per-column sample used by order-statistic tests.
        seed: seed of the sampling, so the same chunks give the same profile.
        bins: number of histogram bins chosen when there is no reference.
        top_k: categories kept per column beyond the reference's own.
        kinds: kinds forced per column (``numeric``, ``categorical``,
            ``boolean``, ``datetime``, ``text``), without a reference.
        prediction: the prediction column, for the performance summary.
        target: the label column (never profiled as a column).
        task: ``classification`` or ``regression``; None infers it from the labels.
        joint_sample_size: rows kept for multivariate methods (0: none).
        segments: columns whose values are profiled apart.
        segment_limit: segments kept per segment column.
        segment_sample_size: ``sample_size`` of each segment's profile.
        score: the classifier's score column(s) (see ``score_columns``): without a
            reference, the labelled rows fit a CBPE estimator; with a reference
            that has one, the rows add to the window's estimation state.
        estimate_errors: fit a DLE estimator of the regressor's error (needs
            ``prediction`` and ``target``; scikit-learn).
        embeddings: vector columns (or ``prefix*`` column groups) kept as
            ``EmbeddingSummary``s, not profiled column by column.
        texts: keep a ``TextSummary`` of each text column besides its length (with a
            reference, of those it has; segments go without).
    """

    def __init__(
        self,
        *,
        categorical: Collection[str] = (),
        exclude: Collection[str] = (),
        reference: Profile | None = None,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        seed: int = 0,
        bins: int = DEFAULT_BINS,
        top_k: int = DEFAULT_TOP_K,
        kinds: Mapping[str, str] | None = None,
        prediction: str | None = None,
        target: str | None = None,
        task: Task | None = None,
        joint_sample_size: int = DEFAULT_JOINT_SAMPLE_SIZE,
        segments: Collection[str] = (),
        segment_limit: int = DEFAULT_SEGMENT_LIMIT,
        segment_sample_size: int = DEFAULT_SEGMENT_SAMPLE_SIZE,
        score: ScoreSpec | None = None,
        estimate_errors: bool = False,
        embeddings: Collection[str] = (),
        texts: bool = True,
    ) -> None:
        for name, value in (("sample_size", sample_size), ("bins", bins), ("top_k", top_k),
                            ("segment_limit", segment_limit),
                            ("segment_sample_size", segment_sample_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        forced = {**dict.fromkeys(categorical, CATEGORICAL), **(kinds or {})}
        unknown = {c: k for c, k in forced.items() if k not in KINDS}
        if unknown:
            raise ValueError(f"unknown column kinds {unknown}; known kinds: "
                             f"{', '.join(sorted(KINDS))}")
        self._options: dict[str, Any] = dict(
            categorical=categorical, exclude=exclude, sample_size=sample_size, bins=bins,
            top_k=top_k, kinds=kinds, prediction=prediction, target=target, task=task,
            score=score, estimate_errors=estimate_errors, embeddings=embeddings, texts=texts)
        self._forced = forced
        self._exclude = frozenset(exclude) | ({target} if target else set())
        self._reference = reference
        self._sample_size = sample_size
        self._bins = bins
        self._top_k = top_k
        self._rng = np.random.default_rng(seed)
        self._seed = seed
        self.rows = 0
        self._columns: dict[str, NumericColumn | CategoricalColumn] = {}
        self._extra: dict[str, None] = {}
        self._joint_size = joint_sample_size
        self._joint: JointSampler | None = None
        self._performance: PerformanceAccumulator | None = None
        if prediction and target:
            known_task = task
            if reference is not None and reference.performance is not None:
                known_task = reference.performance.task
            self._performance = PerformanceAccumulator(prediction, target, known_task,
                                                       rng=self._rng)
        self._segments = self._router(segments, segment_limit, segment_sample_size)
        if reference is not None and reference.embeddings:
            embeddings = list(reference.embeddings)
        self._embeddings = EmbeddingSet(list(embeddings), reference.embeddings if reference
                                        else None, EMBEDDING_SAMPLE, self._rng)
        named = (reference.texts if reference is not None
                 else [c for c, k in forced.items() if k == "text"]) if texts else []
        text_names = [c for c in named if c not in self._exclude]
        self._texts = TextSet(text_names, reference.texts if reference else None, sample_size,
                              self._rng)
        self._fitter: EstimatorFitter | None = None
        self._estimation: np.ndarray | None = None
        if reference is not None and reference.estimator is not None:
            self._estimation = reference.estimator.new_state()
        elif reference is None and target and (score or (estimate_errors and prediction)):
            self._fitter = EstimatorFitter(target=target, prediction=prediction, score=score,
                                           skip=tuple(self._exclude), seed=seed)

    def update(self, chunk: pd.DataFrame) -> None:
        """Add the rows of one chunk."""
        if not isinstance(chunk, pd.DataFrame):
            raise ProfileError(f"a chunk must be a pandas DataFrame, got {type(chunk).__name__}")
        if chunk.columns.has_duplicates:
            duplicated = sorted({str(c) for c in chunk.columns[chunk.columns.duplicated()]})
            raise ProfileError(
                f"duplicate column names {duplicated} in the data; rename them so each is unique"
            )
        seen: dict[str, np.ndarray | None] = {}
        for label in chunk.columns:
            name = str(label)
            if name in self._exclude or self._embeddings.owns(name):
                continue
            column = self._column(name, chunk[label])
            if column is not None:
                seen[name] = column.add(chunk[label])
        for name, column in self._columns.items():
            if name not in seen:
                column.add_missing(len(chunk))
        self._add_joint(seen, len(chunk))
        if self._performance is not None:
            self._performance.add(chunk)
        if self._segments is not None:
            self._segments.update(chunk)
        self._embeddings.update(chunk)
        self._texts.update(chunk)
        if self._fitter is not None:
            self._fitter.update(chunk)
        if self._estimation is not None and self._reference is not None:
            assert self._reference.estimator is not None
            self._reference.estimator.add(self._estimation, chunk)
        self.rows += len(chunk)

    def build(self) -> Profile:
        """The profile of every row added so far (the builder can keep going)."""
        names = list(self._columns)
        if self._reference is not None:
            position = {name: i for i, name in enumerate(self._reference.columns)}
            names.sort(key=position.__getitem__)
        columns = {name: self._columns[name].build() for name in names}
        joint = self._joint.build() if self._joint is not None else None
        performance = self._performance.build() if self._performance is not None else None
        segments = self._segments.build() if self._segments is not None else {}
        estimator = self._fitter.fit() if self._fitter is not None else None
        estimation = self._estimation.copy() if self._estimation is not None else None
        return Profile(self.rows, columns, tuple(self._extra), joint, performance, segments,
                       estimator=estimator, estimation=estimation,
                       embeddings=self._embeddings.build(), texts=self._texts.build())

    def _column(self, name: str, series: pd.Series) -> NumericColumn | CategoricalColumn | None:
        column = self._columns.get(name)
        if column is not None:
            return column
        if self._reference is None:
            kind = self._forced.get(name) or readers.infer_kind(series)
            column = self._new_column(kind, None)  # type: ignore[arg-type]
        elif name in self._reference.columns:
            reference = self._reference.columns[name]
            column = self._new_column(reference.kind, reference)
        else:
            self._extra[name] = None
            return None
        column.add_missing(self.rows)
        self._columns[name] = column
        return column

    def _new_column(
        self, kind: Kind, reference: ColumnProfile | None
    ) -> NumericColumn | CategoricalColumn:
        if kind in NUMERIC_KINDS:
            if reference is not None and reference.numeric is not None:
                return NumericColumn(kind, reference.numeric.edges, reference.numeric.bins,
                                     self._sample_size, self._rng, reference.numeric.fine_edges)
            return NumericColumn(kind, None, self._bins, self._sample_size, self._rng)
        pinned: Collection[str] = ()
        if reference is not None and reference.categorical is not None:
            pinned = reference.categorical.counts.keys()
        return CategoricalColumn(kind, self._top_k, pinned)

    def _add_joint(self, seen: Mapping[str, np.ndarray | None], size: int) -> None:
        if self._joint_size <= 0:
            return
        if self._joint is None:
            if self._reference is not None:
                if self._reference.joint is None:
                    self._joint_size = 0
                    return
                names = list(self._reference.joint.columns)
            else:
                names = [n for n, c in self._columns.items() if c.kind == NUMERIC]
            self._joint = JointSampler(names, self._joint_size, self._rng)
            self._joint.count = self.rows  # rows before the first chunk had no values
        self._joint.add({n: v for n, v in seen.items() if v is not None}, size)

    def _router(self, columns: Collection[str], limit: int, sample_size: int
                ) -> SegmentRouter | None:
        if not columns:
            return None
        reference = self._reference
        known = None
        if reference is not None and reference.segments:
            known = {c: [k for k in reference.segments if k.startswith(f"{c}=")]
                     for c in columns}
            known = {c: keys for c, keys in known.items() if keys}

        def make(key: str) -> ProfileBuilder:
            own = reference.segments.get(key) if reference is not None else None
            options = {**self._options, "sample_size": sample_size, "texts": False}
            return ProfileBuilder(**options, reference=own or _without_segments(reference),
                                  seed=zlib.crc32(f"{self._seed}:{key}".encode()),
                                  joint_sample_size=0)

        return SegmentRouter(columns, make, known, limit)


def _without_segments(profile: Profile | None) -> Profile | None:
    if profile is None:
        return None
    return Profile(profile.rows, profile.columns, profile.extra_columns, None,
                   profile.performance, estimator=profile.estimator)


def build_profile(chunks: Iterable[pd.DataFrame], **options: Any) -> Profile:
    """Profile an iterable of DataFrame chunks; ``options`` are ``ProfileBuilder``'s."""
    builder = ProfileBuilder(**options)
    for chunk in chunks:
        builder.update(chunk)
    return builder.build()
