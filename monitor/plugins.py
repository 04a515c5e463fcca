"""Plugin registry: sources and notifiers found through entry points.

Built-in kinds register under the same entry-point groups as third-party
plugins (``monitor.sources``, ``monitor.notifiers``), so a plugin package adds
a kind by declaring an entry point. A kind is loaded on first use and checked
to be a subclass of the expected base; an unknown name lists the known ones.
This cache is the only module-level state in the package.
"""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import TypeVar

from monitor.errors import PluginError

__all__ = ["NOTIFIERS", "SOURCES", "known", "load"]

SOURCES = "monitor.sources"
NOTIFIERS = "monitor.notifiers"

T = TypeVar("T")

_cache: dict[tuple[str, str], type] = {}


def known(group: str) -> list[str]:
    """Return the sorted names registered in an entry-point group."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load(group: str, name: str, base: type[T]) -> type[T]:
    """Load the class registered as ``name`` in ``group`` and check it subclasses ``base``.

    Raises:
        PluginError: the name is unknown, fails to import, or is not a ``base``.
    """
    key = (group, name)
    if key in _cache:
        return _cache[key]
    matches = [ep for ep in entry_points(group=group) if ep.name == name]
    kind = group.rsplit(".", 1)[-1].rstrip("s")
    if not matches:
        names = known(group)
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise PluginError(
            f"unknown {kind} type '{name}'{suggestion}; known types: {', '.join(names) or 'none'}"
        )
    try:
        cls = matches[0].load()
    except Exception as exc:  # a broken plugin must not take the daemon down
        raise PluginError(
            f"{kind} type '{name}' failed to load from {matches[0].value}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(
            f"{kind} type '{name}' ({matches[0].value}) is not a {base.__name__} subclass"
        )
    _cache[key] = cls
    return cls
