"""Tests that the statistics package keeps its public surface, doctests and purity."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import monitor.stats

_FORBIDDEN = ("sqlalchemy", "requests", "monitor.store")
_MODULES = sorted(
    f"monitor.stats.{m.name}" for m in pkgutil.iter_modules(monitor.stats.__path__)
)


def test_all_is_the_public_surface() -> None:
    """__all__ lists exactly the public names the package defines, each importable."""
    public = {name for name in vars(monitor.stats) if not name.startswith("_")}
    modules = {m.rsplit(".", 1)[1] for m in _MODULES}
    assert set(monitor.stats.__all__) == public - modules
    assert all(getattr(monitor.stats, name) is not None for name in monitor.stats.__all__)


@pytest.mark.parametrize("module", _MODULES)
def test_doctests(module: str) -> None:
    """The examples in the docstrings run and give what they show."""
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


@pytest.mark.parametrize("module", _MODULES)
def test_module_is_pure(module: str) -> None:
    """No statistics module imports a database, HTTP client or the store."""
    path = Path(importlib.import_module(module).__file__ or "")
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            assert not name.startswith(_FORBIDDEN), f"{module} imports {name}"
