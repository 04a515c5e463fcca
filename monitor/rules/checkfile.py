"""A checks file (``monitor compare --checks FILE``): a rule file's ``quality:`` block alone.

It is read like a rule file (the same bounds, ``${NAME}`` references and
``path:line:column`` errors) and validated by the same models, so a block
that works in ``compare`` works in a monitor and back. Given the data's
columns, every column a check names must be one of them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import ValidationError

from monitor.checks import CheckPlan
from monitor.errors import RuleError, RulesInvalid
from monitor.rules.checks import QualitySpec
from monitor.rules.document import FAULTS, RuleDocument
from monitor.rules.fields import Strict
from monitor.rules.plans import check_plan
from monitor.rules.validation import Loc, Problem, problems_of

__all__ = ["load_checks", "load_quality", "unknown_columns"]

_EMPTY = "empty checks file: write a 'quality:' block with 'columns:', 'conditions:' or "\
         "'duplicates:'"


class ChecksFile(Strict):
    """The whole file: one ``quality:`` block."""

    quality: QualitySpec


def load_checks(
    path: str | os.PathLike[str], env: Mapping[str, str], *,
    columns: Collection[str] | None = None,
    known: tuple[str, ...] = (),
) -> CheckPlan:
    """The checks of the file at ``path`` (``load_quality``'s plan)."""
    return load_quality(path, env, columns=columns, known=known)[1]


def load_quality(
    path: str | os.PathLike[str], env: Mapping[str, str], *,
    columns: Collection[str] | None = None,
    known: tuple[str, ...] = (),
) -> tuple[QualitySpec, CheckPlan]:
    """The ``quality:`` block of the file at ``path``, and the plan of its checks.

    Its whole-window limits (``missing_share``, ``min_rows``...) apply as in a
    monitor; ``volume``, ``max_staleness`` and ``sql`` need a monitor's
    windows or source and are refused.

    Args:
        columns: the data's columns; each column a check reads must be one.
        known: columns a schema check allows besides its own (the timestamp).

    Raises:
        RulesInvalid: every problem, each as ``path:line:column: message``.
    """
    document = RuleDocument.read(Path(path), env)
    errors = [_reworded(e) for e in document.errors]
    if errors:
        raise RulesInvalid(errors)
    problems: list[Problem] = []
    try:
        spec = ChecksFile.model_validate(document.data).quality
    except ValidationError as exc:
        problems = problems_of(exc, ChecksFile, ())
    except FAULTS as exc:
        raise RulesInvalid([document.fault(exc)]) from None
    else:
        if spec.sql:
            problems.append(Problem(("quality", "sql"), "sql checks run against a monitor's "
                                    "SQL source, not in 'monitor compare'", at_key=True))
        for key in ("volume", "max_staleness"):
            if getattr(spec, key) is not None:
                problems.append(Problem(("quality", key), f"{key} judges a monitor's windows "
                                        "as they arrive, not a comparison of two files",
                                        at_key=True))
        if columns is not None:
            problems += unknown_columns(spec, columns)
    if problems:
        raise RulesInvalid([document.error(p) for p in problems])
    return spec, check_plan(spec, known=known)


def unknown_columns(spec: QualitySpec, columns: Collection[str]) -> list[Problem]:
    """A problem for each column a check reads that the data does not have."""
    have = set(columns)
    shown = ", ".join(sorted(have)[:30]) + (", ..." if len(have) > 30 else "")
    plan = check_plan(spec)
    problems = []

    def absent(loc: Loc, names: Collection[str], what: str) -> None:
        missing = [n for n in names if n not in have]
        if missing:
            listed = ", ".join(f"'{n}'" for n in missing)
            problems.append(Problem(loc, f"{what} reads {listed}, not in the data; its "
                                    f"columns are: {shown}"))

    for name in spec.columns:
        if name not in have:
            problems.append(Problem(("quality", "columns", name), f"column '{name}' is not in "
                                    f"the data; its columns are: {shown}", at_key=True))
    for i, condition in enumerate(plan.conditions):
        absent(("quality", "conditions", i, "condition"),
               sorted(condition.expression.columns()), f"condition '{condition.name}'")
    for i, duplicate in enumerate(plan.duplicates):
        absent(("quality", "duplicates", i, "columns"), duplicate.columns, "duplicates")
    return problems


def _reworded(error: RuleError) -> RuleError:
    if error.message.startswith("empty rule file"):
        return RuleError(error.path, error.line, error.column, _EMPTY)
    return error
