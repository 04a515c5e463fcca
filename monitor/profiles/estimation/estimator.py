"""The fitted estimator a reference profile keeps, and the estimate it gives of a window.

An ``Estimator`` is fitted once on the reference (``monitor.profiles.estimation.fitting``)
and stored with its profile. For each window it adds the rows of every chunk
to a state array (``new_state``/``add``), a state that merges by addition,
and turns the state into an ``Estimate``: each metric's value and 95 % band,
and the realized metrics when the window had labels too.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from monitor.errors import ProfileError
from monitor.profiles.estimation import cbpe, confusion, dle
from monitor.profiles.estimation.calibration import Calibration
from monitor.profiles.performance import CLASSIFICATION, read_labels
from monitor.profiles.readers import read_numbers

__all__ = [
    "Band",
    "Estimate",
    "Estimator",
    "Method",
    "class_index",
    "decode_array",
    "encode_array",
]

Method = Literal["cbpe", "dle"]


@dataclass(frozen=True, slots=True)
class Band:
    """An estimated metric and its 95 % band."""

    value: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready form (non-finite numbers as null)."""
        return {k: v if math.isfinite(v) else None
                for k, v in (("value", self.value), ("lower", self.lower), ("upper", self.upper))}


@dataclass(frozen=True, slots=True)
class Estimate:
    """A window's estimated metrics; ``realized`` holds those its labelled rows measured."""

    method: Method
    rows: int
    metrics: Mapping[str, Band]
    realized: Mapping[str, float] = field(default_factory=dict)
    per_class: Mapping[str, Mapping[str, Band]] = field(default_factory=dict)

    def only(self, names: Sequence[str]) -> Estimate:
        """The estimate narrowed to ``names`` (all of them when empty)."""
        if not names:
            return self
        keep = [n for n in names if n in self.metrics]
        return Estimate(self.method, self.rows, {n: self.metrics[n] for n in keep},
                        {n: v for n, v in self.realized.items() if n in keep},
                        {c: {n: m[n] for n in keep} for c, m in self.per_class.items()})

    def to_dict(self) -> dict[str, Any]:
        """The ``estimated_performance`` document of ``monitor compare --format json``."""
        out: dict[str, Any] = {"method": self.method, "rows": self.rows,
                               "metrics": {k: b.to_dict() for k, b in self.metrics.items()}}
        if self.per_class:
            out["per_class"] = {c: {k: b.to_dict() for k, b in m.items()}
                                for c, m in self.per_class.items()}
        if self.realized:
            out["realized"] = {k: v if math.isfinite(v) else None
                               for k, v in self.realized.items()}
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Estimator:
    """What a reference keeps to estimate a window's model metrics without its labels.

    CBPE (classification) keeps, per class, the score column, the isotonic
    calibration, the score bin edges and the calibrations fitted on bootstrap
    resamples of the reference (for the band; none when the scores are kept as
    they are); ``classes`` is ``("1",)`` for binary models. DLE (regression)
    keeps the feature ``encoding`` and the rows its
    error models are fitted on. ``reference`` holds the metrics measured on
    the reference itself.
    """

    method: Method
    target: str
    prediction: str | None
    rows: int
    scores: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    calibrations: tuple[Calibration, ...] = ()
    edges: tuple[np.ndarray, ...] = ()
    resampled: tuple[tuple[Calibration, ...], ...] = ()
    encoding: dle.Encoding | None = None
    fit_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    fit_errors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reference: Mapping[str, float] = field(default_factory=dict)

    @property
    def binary(self) -> bool:
        """A binary classifier: one score, the positive class's."""
        return self.method == "cbpe" and len(self.classes) == 1

    def new_state(self) -> np.ndarray:
        """An empty state, flat: CBPE cells per class (and the multiclass confusion cells
        after them), or DLE sums."""
        if self.method == "dle":
            return np.zeros(len(dle.SUMS))
        size = int(np.prod(self._cells_shape))
        if not self.binary:
            size += int(np.prod(confusion.joint_shape(len(self.classes))))
        return np.zeros(size)

    @property
    def _cells_shape(self) -> tuple[int, int, int, int]:
        width = max((len(e) + 1 for e in self.edges), default=1)
        return len(self.classes), 2, width, len(cbpe.CHANNELS)

    def _cells(self, state: np.ndarray) -> list[np.ndarray]:
        """Each class's cells: views into ``state``, as wide as the class's edges."""
        size = int(np.prod(self._cells_shape))
        cells = state[:size].reshape(self._cells_shape)
        return [cells[k, :, : len(e) + 1] for k, e in enumerate(self.edges)]

    def _joint(self, state: np.ndarray) -> np.ndarray | None:
        """The multiclass confusion cells: a view into ``state`` (None for binary models)."""
        if self.binary:
            return None
        return state[int(np.prod(self._cells_shape)):].reshape(
            confusion.joint_shape(len(self.classes)))

    def add(self, state: np.ndarray, chunk: pd.DataFrame) -> int:
        """Add a chunk's rows to ``state`` in place; returns the rows it could not read."""
        if self.method == "dle":
            return self._add_errors(state, chunk)
        return self._add_scores(state, chunk)

    def probabilities(self, chunk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores and calibrated probabilities (rows × classes; NaN where unreadable)."""
        raw = np.column_stack([read_numbers(chunk[s])[0] if s in chunk.columns
                               else np.full(len(chunk), np.nan) for s in self.scores])
        probability = np.column_stack([c.apply(raw[:, k])
                                       for k, c in enumerate(self.calibrations)])
        if not self.binary:
            total = probability.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                probability = np.where(total > 0, probability / total, 1 / len(self.classes))
        return raw, probability

    def _add_scores(self, state: np.ndarray, chunk: pd.DataFrame) -> int:
        raw, probability = self.probabilities(chunk)
        readable = np.isfinite(raw).all(axis=1)
        if self.binary:
            predicted = self._predicted_binary(chunk, probability[:, 0])[readable]
        raw, probability = raw[readable], probability[readable]
        if self.binary:
            label = (read_labels(chunk[self.target], CLASSIFICATION)
                     if self.target in chunk.columns else np.full(len(chunk), np.nan))[readable]
            columns = [(predicted, label >= 0.5, np.isfinite(label))]
        else:
            predicted_class = self._predicted_class(chunk, probability, readable)
            label_class = (class_index(chunk[self.target], self.classes)[readable]
                           if self.target in chunk.columns else np.full(raw.shape[0], -1))
            columns = [(predicted_class == k, label_class == k, label_class >= 0)
                       for k in range(len(self.classes))]
        for k, (cells, (predicted_k, positive, labelled)) in enumerate(
                zip(self._cells(state), columns, strict=True)):
            cbpe.bin_rows(cells, self.edges[k], raw[:, k], probability[:, k], predicted_k,
                          positive, labelled)
        joint = self._joint(state)
        if joint is not None:
            confusion.bin_predictions(joint, predicted_class, probability)
        return int(np.count_nonzero(~readable))

    def _predicted_binary(self, chunk: pd.DataFrame, probability: np.ndarray) -> np.ndarray:
        if self.prediction is not None and self.prediction in chunk.columns:
            return read_labels(chunk[self.prediction], CLASSIFICATION) >= 0.5
        return probability >= 0.5

    def _predicted_class(self, chunk: pd.DataFrame, probability: np.ndarray,
                         readable: np.ndarray) -> np.ndarray:
        if self.prediction is not None and self.prediction in chunk.columns:
            found: np.ndarray = class_index(chunk[self.prediction], self.classes)[readable]
            return found
        return np.asarray(np.argmax(probability, axis=1), dtype=np.int64)

    def _add_errors(self, state: np.ndarray, chunk: pd.DataFrame) -> int:
        assert self.encoding is not None and self.prediction is not None
        if self.prediction not in chunk.columns:
            return len(chunk)
        predicted = read_numbers(chunk[self.prediction])[0]
        readable = np.isfinite(predicted)
        frame = chunk if readable.all() else chunk[readable]
        matrix = self.encoding.matrix(frame, predicted[readable])
        state[:5] += self.model().sums(matrix)
        if self.target in frame.columns:
            error = read_numbers(frame[self.target])[0] - predicted[readable]
            error = error[np.isfinite(error)]
            state[5:] += (error.size, np.abs(error).sum(), np.square(error).sum())
        return int(np.count_nonzero(~readable))

    def model(self) -> dle.LossModel:
        """The fitted DLE error models (fitted on first use, once per process)."""
        assert self.encoding is not None
        return dle.loss_model(self.fit_rows, self.fit_errors, self.encoding.categorical_mask)

    def estimate(self, state: np.ndarray) -> Estimate:
        """The estimate, and the realized metrics when labelled rows were added, of ``state``."""
        if self.method == "dle":
            rows = int(state[0])
            bands = self.model().estimate(state)
            return Estimate("dle", rows, {k: Band(*v) for k, v in bands.items()},
                            dle.realized_errors(state))
        cells = self._cells(state)
        rows = int(cells[0][..., 0].sum()) if cells else 0
        window, per_class = cbpe.estimate_classes(cells, self.binary, self.classes,
                                                  joint=self._joint(state),
                                                  resampled=self.resampled)
        labelled = cells[0][..., 2].sum() if cells else 0
        realized = cbpe.realized_classes(cells, self.binary) if labelled else {}
        return Estimate("cbpe", rows, {k: Band(*v) for k, v in window.items()}, realized,
                        {c: {k: Band(*v) for k, v in m.items()} for c, m in per_class.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (DLE fit rows as base64 of little-endian float32)."""
        out: dict[str, Any] = {"method": self.method, "target": self.target,
                               "prediction": self.prediction, "rows": self.rows,
                               "reference": {k: v if math.isfinite(v) else None
                                             for k, v in self.reference.items()}}
        if self.method == "cbpe":
            out.update(scores=list(self.scores), classes=list(self.classes),
                       calibrations=[c.to_dict() for c in self.calibrations],
                       edges=[[float(x) for x in e] for e in self.edges],
                       resampled=[[c.to_dict() for c in maps] for maps in self.resampled])
        else:
            assert self.encoding is not None
            out.update(encoding=self.encoding.to_dict(),
                       fit_rows=encode_array(self.fit_rows, "<f4"),
                       fit_errors=encode_array(self.fit_errors, "<f8"))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimator:
        """Rebuild from ``to_dict``; raises ProfileError on a malformed document."""
        try:
            method = data["method"]
            common = dict(target=str(data["target"]), prediction=data.get("prediction"),
                          rows=int(data["rows"]),
                          reference={str(k): math.nan if v is None else float(v)
                                     for k, v in data.get("reference", {}).items()})
            if method == "cbpe":
                return cls("cbpe", **common, scores=tuple(data["scores"]),  # type: ignore[arg-type]
                           classes=tuple(str(c) for c in data["classes"]),
                           calibrations=tuple(Calibration.from_dict(c)
                                              for c in data["calibrations"]),
                           edges=tuple(np.asarray(e, dtype=np.float64) for e in data["edges"]),
                           resampled=tuple(tuple(Calibration.from_dict(c) for c in maps)
                                           for maps in data.get("resampled", [])))
            if method == "dle":
                encoding = dle.Encoding.from_dict(data["encoding"])
                width = len(encoding.features) + 1
                rows = decode_array(data["fit_rows"], "<f4").reshape(-1, width)
                return cls("dle", **common, encoding=encoding,  # type: ignore[arg-type]
                           fit_rows=rows, fit_errors=decode_array(data["fit_errors"], "<f8"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"profile 'estimator' is malformed: {exc}") from exc
        raise ProfileError(f"profile estimator method {method!r} is unknown; expected cbpe or dle")


def class_index(series: pd.Series, classes: Sequence[str]) -> np.ndarray:
    """Each value's position in ``classes`` (compared as text; whole numbers without ``.0``).

    >>> class_index(pd.Series([1.0, 2.0, None]), ("1", "2")).tolist()
    [0, 1, -1]
    """
    values = series
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.dropna()
        if (whole == np.floor(whole)).all():
            values = series.astype("Int64")
    text = values.astype("string")
    return np.asarray(pd.Index(list(classes)).get_indexer(text.fillna("\0")), dtype=np.int64)


def encode_array(array: np.ndarray, dtype: str) -> str:
    """An array as base64 of its bytes in ``dtype``."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def decode_array(text: str, dtype: str) -> np.ndarray:
    """The flat array ``encode_array`` wrote."""
    return np.frombuffer(base64.b64decode(text, validate=True), dtype=dtype).astype(
        np.float32 if dtype == "<f4" else np.float64)
