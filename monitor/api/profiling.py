"""Profiles through the API: data in, a ``Profile`` that remembers its column roles out.

The roles (categorical, text, prediction, target, task, exclude, segments,
timestamp) are said once, when the reference is profiled, and travel with the
profile (``Profile.roles``, saved in its JSON): ``compare`` reads them back,
so a comparison never has to repeat them. A profile made here is the profile
``monitor profile`` makes of the same file with the same columns, plus roles.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa

from monitor.api.inputs import chunks
from monitor.errors import ProfileError
from monitor.profiles import Profile, Roles, build_profile
from monitor.profiles.embeddings import embedding_columns

__all__ = ["load_profile", "profile", "profile_with_roles", "roles_of"]

_CHECKED = ("prediction", "target", "categorical", "text", "segments")
"""Roles whose columns must be in the data; an excluded column or a timestamp that the
training data lacks (it usually does) is no mistake."""
_SHOWN_COLUMNS = 40


def profile(
    data: pd.DataFrame | pa.Table | str | os.PathLike[str],
    *,
    categorical: Sequence[str] | str | None = None,
    text: Sequence[str] | str | None = None,
    prediction: str | None = None,
    target: str | None = None,
    task: Literal["classification", "regression"] | None = None,
    exclude: Sequence[str] | str | None = None,
    segments: Sequence[str] | str | None = None,
    timestamp: str | None = None,
    score: Sequence[str] | Mapping[str, str] | str | None = None,
    embedding: Sequence[str] | str | None = None,
) -> Profile:
    """Profile a dataset (usually the training data) and remember its column roles.

    Args:
        data: a pandas DataFrame, a pyarrow Table, or the path of a CSV,
            Parquet or JSON Lines file (or a glob of them).
        categorical: columns to read as categories although they hold numbers.
        text: free-text columns, compared by their length, descriptors and vocabulary
            (``monitor.profiles.text``).
        prediction: the model's output column (checked for drift, and scored
            against ``target``).
        target: the label column: never profiled for drift.
        task: ``classification`` or ``regression``; None infers it from the labels.
        exclude: columns to leave out (ids).
        segments: columns whose values are profiled and compared apart.
        timestamp: the time column of production data: never profiled.
        score: the classifier's score: the positive class's probability column
            (binary), or one column per class (a list, or a mapping of class to
            column). With ``target``, the profile keeps a performance estimator
            (CBPE) that estimates the metrics of data without labels; with
            ``task="regression"``, a prediction and a target and no score, DLE
            estimates the regressor's error (scikit-learn, ``monitor[estimate]``).
        embedding: vector columns (list<float>, arrays, JSON arrays; ``PREFIX*``
            gathers the columns starting with PREFIX), kept as a mean and a sample
            of vectors and compared as vectors.

    Raises:
        ProfileError: bad data or roles (a named column the data lacks).
        SourceError: a file cannot be found or read.
    """
    roles = roles_of(categorical=categorical, text=text, prediction=prediction, target=target,
                     task=task, exclude=exclude, segments=segments, timestamp=timestamp,
                     score=score, embedding=embedding)
    return profile_with_roles(data, roles or Roles())


def roles_of(
    *,
    categorical: object = None,
    text: object = None,
    prediction: object = None,
    target: object = None,
    task: object = None,
    exclude: object = None,
    segments: object = None,
    timestamp: object = None,
    score: object = None,
    embedding: object = None,
) -> Roles | None:
    """The ``Roles`` the arguments say; None when every one is None (none was given).

    A single name may stand for a list of one (``categorical="state"``); a
    name given twice in one list counts once.

    Raises:
        ProfileError: a role of the wrong type, an unknown task, or a column
            given two roles that exclude each other.
    """
    if all(v is None for v in (categorical, text, prediction, target, task, exclude, segments,
                               timestamp, score, embedding)):
        return None
    if task not in (None, "classification", "regression"):
        raise ProfileError(f"task must be 'classification' or 'regression' (or None to infer "
                           f"it from the labels), got {task!r:.80}")
    roles = Roles(
        categorical=_names("categorical", categorical), text=_names("text", text),
        prediction=_name("prediction", prediction), target=_name("target", target), task=task,
        exclude=_names("exclude", exclude), segments=_names("segments", segments),
        timestamp=_name("timestamp", timestamp), score=_scores(score),
        embedding=_names("embedding", embedding),
    )
    for name, given in roles.conflicts().items():  # the same pairs `monitor compare` refuses
        raise ProfileError(f"column '{name}' is given two roles, "
                           f"{' and '.join(f'{role}=' for role in given)}; give it one")
    return roles


def _scores(score: object) -> tuple[str, ...]:
    """A ``score=`` role as ``Roles.score``: columns, or ``CLASS=COLUMN`` entries."""
    if isinstance(score, Mapping):
        return tuple(f"{k}={_name('score', v)}" for k, v in score.items())
    return _names("score", score)


def profile_with_roles(data: object, roles: Roles, what: str = "data") -> Profile:
    """Profile ``data`` as ``roles`` say; ``what`` names the data in errors.

    The profile remembers the roles unless none is set: then it is the very
    profile ``monitor profile`` writes, whose document (and hash) has no roles.
    """
    seen: dict[str, None] = {}
    profiled = build_profile(
        _noting_columns(chunks(data, what), seen),
        categorical=roles.categorical,
        exclude=list(roles.unprofiled),
        kinds=dict.fromkeys(roles.text, "text"),
        prediction=roles.prediction, target=roles.target, task=roles.task,
        segments=roles.segments, **roles.builder_options(),
    )
    missing = [(role, name) for role in _CHECKED for name in _as_tuple(getattr(roles, role))
               if name not in seen]
    missing += [("score", name) for name in roles.score_columns if name not in seen]
    missing += [("embedding", name) for name in roles.embedding
                if not embedding_columns(name, list(seen))]
    if missing and seen:  # no rows may mean no columns: nothing to check names against
        listed = ", ".join(f"'{name}' ({role}=)" for role, name in missing)
        shown = ", ".join(list(seen)[:_SHOWN_COLUMNS])
        if len(seen) > _SHOWN_COLUMNS:
            shown += f", ... ({len(seen)} in all)"
        noun, verb = ("column", "is") if len(missing) == 1 else ("columns", "are")
        raise ProfileError(f"{noun} {listed} {verb} not in the {what}; its columns are: {shown}")
    return profiled if roles == Roles() else replace(profiled, roles=roles)


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Load a profile saved by ``Profile.save`` or ``monitor profile --out``.

    Raises:
        ProfileError: the file is missing, not JSON, or not a profile this
            monitor reads (the message names the field at fault).
    """
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read the profile '{where}': "
                           f"{exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProfileError(f"'{where}' is not a profile: it is not JSON ({exc})") from exc
    return Profile.from_dict(data)


def _names(role: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        names = tuple(value)
        if all(isinstance(n, str) for n in names):
            return tuple(dict.fromkeys(names))
    raise ProfileError(f"{role} must be a column name or a list of them, got {value!r:.80}")


def _name(role: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ProfileError(f"{role} must be a column name, got {value!r:.80}")
    return value


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _noting_columns(parts: Iterator[pd.DataFrame], seen: dict[str, None]
                    ) -> Iterator[pd.DataFrame]:
    """Pass the chunks through, noting every column name met."""
    for part in parts:
        seen.update(dict.fromkeys(str(c) for c in part.columns))
        yield part
