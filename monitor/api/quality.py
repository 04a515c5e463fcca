"""The ``checks=`` argument of ``monitor.compare``: a checks file, or its block as a mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import ValidationError

from monitor.checks import CheckPlan
from monitor.errors import MonitorError
from monitor.rules.checkfile import load_checks
from monitor.rules.checks import QualitySpec
from monitor.rules.plans import check_plan

__all__ = ["Checks", "plan_of"]

Checks = str | os.PathLike[str] | Mapping[str, object]
"""A checks file's path, or the ``quality:`` block (with or without that key) as a mapping."""


def plan_of(checks: Checks | None, *, known: tuple[str, ...] = ()) -> CheckPlan | None:
    """The checks to run on the current data; None when none are given.

    Raises:
        RulesInvalid: a bad checks file, each problem at ``path:line:column``.
        MonitorError: a bad mapping, naming the key path of each problem.
    """
    if checks is None:
        return None
    if not isinstance(checks, Mapping):
        return load_checks(checks, os.environ, known=known)
    block = checks["quality"] if set(checks) == {"quality"} else checks
    try:
        spec = QualitySpec.model_validate(block)
    except ValidationError as exc:
        problems = [f"checks.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                    for e in exc.errors(include_url=False)]
        raise MonitorError("; ".join(problems)) from None
    return check_plan(spec, known=known)
