"""``sql:`` checks: an operator's query run as written, ``:start``/``:end`` bound to the window.

``returns: value`` reads the first column of the first row: a number that
must lie within ``[min, max]``; no row, a NULL or a value that is no
number fails, saying which. ``returns: rows`` counts the rows the query
selects (``SELECT COUNT(*) FROM (query) AS q``), each one failing, within
``max_rows`` (none by default), and shows up to ten of them as
``name=value`` pairs.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from monitor.checks.plan import MAX_SAMPLES, QualityResult, SqlCheck
from monitor.checks.values import render
from monitor.errors import SourceError

__all__ = ["run_sql_check"]

_PARAMETER = re.compile(r"(?<![:\w]):(start|end)\b")
_TRAILING = re.compile(r"[\s;]+$")


def run_sql_check(
    conn: sa.Connection, check: SqlCheck, start: datetime, end: datetime, *,
    samples: bool = True,
) -> QualityResult:
    """Run ``check`` on ``conn`` for the window ``[start, end)`` (bound as given).

    Raises:
        SourceError: the query fails; the message names the check and the database's reason.
    """
    query = _TRAILING.sub("", check.query)
    bound = {"start": start, "end": end}
    params = {name: bound[name] for name in set(_PARAMETER.findall(query))}
    # Typed as times, so SQLite compares them in the text form SQLAlchemy stores times in.
    statement = sa.text(query).bindparams(
        *(sa.bindparam(name, type_=sa.DateTime(timezone=True)) for name in params))
    try:
        if check.returns == "rows":
            return _rows(conn, check, statement, params, samples)
        return _value(conn, check, statement, params)
    except SQLAlchemyError as exc:
        original = getattr(exc, "orig", None) or exc
        reason = (str(original).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceError(f"sql check '{check.name}' failed: {reason}") from exc


def _value(conn: sa.Connection, check: SqlCheck, statement: sa.TextClause,
           params: dict[str, datetime]) -> QualityResult:
    row = conn.execute(statement, params).first()
    note = None
    value = math.nan
    if row is None or len(row) == 0:
        note = "the query returned no row"
    elif row[0] is None:
        note = "the query returned NULL, not a number"
    else:
        number = _number(row[0])
        if number is None or math.isnan(number):
            note = f"the query returned {render(row[0])!r}, not a number"
        else:
            value = number
    passed = note is None and (check.minimum is None or value >= check.minimum) and (
        check.maximum is None or value <= check.maximum)
    return QualityResult(check="sql", column=None, value=value, threshold=None, passed=passed,
                         name=check.name, bounds=(check.minimum, check.maximum), note=note)


def _rows(conn: sa.Connection, check: SqlCheck, statement: sa.TextClause,
          params: dict[str, datetime], samples: bool) -> QualityResult:
    selected = statement.columns().subquery("q")
    count = int(conn.execute(sa.select(sa.func.count()).select_from(selected), params).scalar()
                or 0)
    shown: tuple[str, ...] = ()
    if count and samples:
        result = conn.execute(sa.select(sa.text("*")).select_from(selected)
                              .limit(MAX_SAMPLES), params)
        names = list(result.keys())
        shown = tuple(dict.fromkeys(
            ", ".join(f"{n}={render(_plain(v))}" for n, v in zip(names, row, strict=True))
            for row in result))
    limit = check.tolerance.max_rows or 0
    return QualityResult(check="sql", column=None, value=float(count), threshold=float(limit),
                         passed=count <= limit, failing_rows=count, samples=shown,
                         name=check.name, unit="rows")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
