"""Database engines and table reflections, shared by every SQL source of the process.

The runner opens a source for each window and asks it up to three things
(the profile, the newest row, the rows of the previous window); each used to
build an engine (a connection pool) and reflect its table again, which costs
a connection and several catalogue queries every time. Both are kept here:

- **Engines**, one per (URL, connect arguments), shared by every thread
  (SQLAlchemy engines are thread-safe). ``pool_pre_ping`` tests a pooled
  connection before handing it out, so a database restart costs no run. At
  most ``ENGINE_LIMIT`` are kept; the least recently used is disposed. A URL
  whose driver is not installed fails at once, naming the extra that installs
  it (``monitor[postgres]``, ``monitor[mysql]``).
- **Reflections**, one per source configuration: the key is the whole
  ``source:`` block, so a rule reloaded with a changed block reflects afresh.
  A table whose columns change is not served stale: a reflection is
  forgotten when a statement of its source fails (a dropped or renamed
  column), so the next try reflects again, and is refreshed after
  ``REFLECTION_TTL`` seconds anyway (an added column).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from monitor.errors import SourceError, missing_driver

__all__ = [
    "ENGINE_LIMIT", "REFLECTION_TTL", "clear", "engine_for", "forget_table", "table_for",
]

ENGINE_LIMIT = 16
REFLECTION_TTL = 600.0
_REFLECTION_LIMIT = 256

_lock = threading.Lock()
_engines: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], Engine] = OrderedDict()
_tables: OrderedDict[str, tuple[sa.Table, float]] = OrderedDict()


def engine_for(url: URL, connect_args: Mapping[str, Any]) -> Engine:
    """The process's engine for ``url`` and ``connect_args``, created on first use."""
    key = (url.render_as_string(hide_password=False), tuple(sorted(connect_args.items())))
    evicted: list[Engine] = []
    with _lock:  # creating an engine does not connect: cheap enough to hold the lock
        engine = _engines.get(key)
        if engine is None:
            try:
                engine = sa.create_engine(url, connect_args=dict(connect_args),
                                          pool_pre_ping=True)
            except ImportError as exc:  # the URL's driver is not installed
                why = (missing_driver(url.drivername, exc)
                       or f"its driver cannot be imported ({exc})")
                raise SourceError(f"cannot use the database URL {url.render_as_string()}: "
                                  f"{why}") from exc
            _engines[key] = engine
            while len(_engines) > ENGINE_LIMIT:
                evicted.append(_engines.popitem(last=False)[1])
        _engines.move_to_end(key)
    for old in evicted:
        old.dispose()  # connections still checked out close when returned
    return engine


def table_for(key: str, reflect: Callable[[], sa.Table]) -> sa.Table:
    """The reflected table of the source configuration ``key``; ``reflect`` makes it.

    Reflection runs outside the lock (it queries the database); two threads
    reflecting the same key at once both succeed and the later one is kept.
    """
    now = time.monotonic()
    with _lock:
        cached = _tables.get(key)
        if cached is not None and now - cached[1] < REFLECTION_TTL:
            _tables.move_to_end(key)
            return cached[0]
    table = reflect()
    with _lock:
        _tables[key] = (table, now)
        _tables.move_to_end(key)
        while len(_tables) > _REFLECTION_LIMIT:
            _tables.popitem(last=False)
    return table


def forget_table(key: str) -> None:
    """Drop the reflection of ``key``: its table may have changed."""
    with _lock:
        _tables.pop(key, None)


def clear() -> None:
    """Dispose every engine and forget every reflection (tests, and a process winding down)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
        _tables.clear()
    for engine in engines:
        engine.dispose()
