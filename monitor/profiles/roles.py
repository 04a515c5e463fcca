"""Column roles: what the named columns of a profile are for, kept with it.

A profile remembers them so that a comparison need not repeat them; the
command line and the Python API read and check them the same way here.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from monitor.errors import ProfileError
from monitor.profiles.performance import Task

__all__ = ["EXCLUSIVE_ROLES", "Roles"]

logger = logging.getLogger(__name__)

_LATER = ("score", "embedding")
"""Roles added after the others: written only when set."""

EXCLUSIVE_ROLES = (("timestamp", "prediction", "target"), ("timestamp", "target", "score"),
                   ("text", "categorical"), ("prediction", "exclude"), ("score", "exclude"))
"""Roles one column cannot hold together."""


@dataclass(frozen=True, slots=True)
class Roles:
    """What the named columns of a profile are for, kept so a comparison need not repeat them.

    ``categorical`` and ``text`` force those kinds; ``prediction`` and
    ``target`` (with ``task``: ``classification`` or ``regression``) name the
    model's output and its labels; ``score`` the classifier's score columns
    (one for a binary model; one per class, each ``CLASS=COLUMN`` or a column
    whose name ends with the class); ``embedding`` vector columns (or
    ``PREFIX*`` groups of columns) tested as vectors; ``exclude`` and ``timestamp`` are never
    profiled; ``segments`` are profiled apart per value.
    """

    categorical: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    prediction: str | None = None
    target: str | None = None
    task: Task | None = None
    exclude: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    timestamp: str | None = None
    score: tuple[str, ...] = ()
    embedding: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: every role, lists and nulls included (``score`` and ``embedding``
        only when set, so the documents, and hashes, of profiles without them stay as they were)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in fields(self) if f.name not in _LATER or getattr(self, f.name)}

    @classmethod
    def from_dict(cls, data: Any) -> Roles:
        """Load ``to_dict``'s form; absent roles are empty, unknown keys are ignored.

        Raises:
            ProfileError: a role of the wrong type (the message names it).
        """
        if not isinstance(data, Mapping):
            raise ProfileError(f"profile 'roles' must be an object, got {data!r:.80}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.default == ():  # a list of names
                value = [] if value is None else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ProfileError(f"profile role '{f.name}' must be a list of column "
                                       f"names, got {value!r:.80}")
                value = tuple(value)
            elif value is not None and not isinstance(value, str):
                raise ProfileError(f"profile role '{f.name}' must be a column name or null, "
                                   f"got {value!r:.80}")
            values[f.name] = value
        if values["task"] not in (None, "classification", "regression"):
            raise ProfileError("profile role 'task' must be classification, regression or "
                               f"null, got {values['task']!r:.80}")
        return cls(**values)

    @property
    def score_spec(self) -> str | list[str] | dict[str, str] | None:
        """``score`` as the estimator takes it: a column, a list, or classes to columns."""
        if not self.score:
            return None
        if all("=" in s for s in self.score):
            return dict(s.split("=", 1) for s in self.score)
        return self.score[0] if len(self.score) == 1 else list(self.score)

    def builder_options(self) -> dict[str, Any]:
        """The builder options these roles ask for beyond the columns' kinds: embeddings and
        the performance estimator."""
        return {**({"embeddings": self.embedding} if self.embedding else {}),
                **self.estimator_options()}

    def estimator_options(self) -> dict[str, Any]:
        """The builder options that fit a performance estimator on a reference with labels.

        CBPE with ``score``; DLE with ``task`` regression and a prediction, when
        scikit-learn is there to learn the error (else a warning says what to install).
        """
        if self.target is None:
            return {}
        if self.score:
            return {"score": self.score_spec}
        if self.task == "regression" and self.prediction:
            if importlib.util.find_spec("sklearn") is None:
                logger.warning("the regressor's error is not estimated without labels: "
                               "pip install 'monitor[estimate]'")
                return {}
            return {"estimate_errors": True}
        return {}

    @property
    def score_columns(self) -> tuple[str, ...]:
        """The score columns, without their classes."""
        return tuple(s.split("=", 1)[1] if "=" in s else s for s in self.score)

    @property
    def unprofiled(self) -> tuple[str, ...]:
        """The columns never profiled: the excluded ones and the timestamp."""
        return (*self.exclude, *((self.timestamp,) if self.timestamp else ()))

    def conflicts(self) -> dict[str, list[str]]:
        """Each column given two roles that cannot go together, with those roles."""
        found: dict[str, list[str]] = {}
        for group in EXCLUSIVE_ROLES:
            given: dict[str, list[str]] = {}
            for role in group:
                value = self.score_columns if role == "score" else getattr(self, role)
                for name in (value,) if isinstance(value, str) else value or ():
                    given.setdefault(name, []).append(role)
            for name, roles in given.items():
                if len(roles) > 1:
                    found.setdefault(name, roles)
        return found
