"""The package's shape: no import cycle, imports only downward, a pure core, small modules.

The import graph is read from the source (each module's top-level imports,
``TYPE_CHECKING`` blocks included, through ``ast``), not from a hand list, so
a new module is covered as soon as it exists. Importing ``a.b.c`` from outside
``a`` runs ``a/__init__`` and ``a/b/__init__`` first, so those package faces
count as imported too: that is how a face that imports too much closes a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "monitor"
MAX_LINES = 400
MAX_LOOSE_MODULES = 8

FOUNDATION = {"errors", "plugins", "records", "retry", "settings", "times", "windows"}
"""The loose top-level modules: plain values and helpers every layer may use."""

# What each package may import besides the foundation and itself, lowest layer first. The
# README's "Layout" draws the same picture.
ALLOWED = {
    "profiles": set(),
    "checks": {"profiles"},
    "estimation": {"profiles"},
    "stats": {"profiles"},
    "sources": {"profiles", "checks"},
    "store": set(),
    "rules": {"profiles", "stats", "checks"},
    "analysis": {"profiles", "stats", "rules", "checks"},
    "alerts": {"profiles", "stats", "rules", "analysis", "checks"},
    "alerts.notifiers": {"alerts"},
    "alerts.delivery": {"alerts", "alerts.notifiers", "rules", "store"},
    "report": {"analysis", "checks"},
    "console": {"checks", "profiles", "stats", "rules", "analysis", "alerts", "store", "report"},
    "daemon": {"checks", "profiles", "stats", "rules", "analysis", "alerts", "alerts.notifiers",
               "alerts.delivery", "sources", "store", "report", "console"},
    "cli": {"checks", "profiles", "stats", "rules", "analysis", "alerts", "alerts.notifiers",
            "alerts.delivery", "sources", "store", "report", "console", "daemon"},
    # The Python API sits beside the command line: it may use everything but the CLI.
    "api": {"checks", "profiles", "stats", "rules", "analysis", "alerts", "alerts.notifiers",
            "alerts.delivery", "sources", "store", "report", "daemon"},
}
PLUG_POINTS = {"monitor.sources", "monitor.sources.base", "monitor.sources.readstats",
               "monitor.alerts", "monitor.alerts.notifiers", "monitor.alerts.notifiers.base"}
"""The two plug points' contracts (and the package faces run on the way to them): they sit
below the rules, which validate every `source:` and `notifiers:` block against its kind's
Config, and so below everything that reads rules."""
READS_RULES = {"rules", "analysis", "alerts", "alerts.delivery"}

PURE_PACKAGES = ("profiles", "checks", "stats", "rules", "analysis", "report")
"""Packages whose every module loads no I/O library; ``alerts`` is pure but for its two
subpackages (``delivery``, ``notifiers``), and so is every foundation module."""
IO_LIBRARIES = ("sqlalchemy", "alembic", "requests", "apscheduler", "psycopg")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _top_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Module-level statements, and those inside module-level if/try blocks."""
    for node in tree.body:
        yield node
        if isinstance(node, ast.If | ast.Try):
            yield from (n for n in ast.walk(node) if isinstance(n, ast.stmt) and n is not node)


def _imports(name: str, path: Path) -> set[str]:
    """The monitor modules ``name`` imports at load time, with the package faces on the way."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _top_level(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            targets |= submodules
            if len(submodules) < len(node.names):  # names defined by the module or face itself
                targets.add(base)
    edges = set()
    for target in targets:
        parts = target.split(".")
        # The faces of packages entered from outside run first; a module inside a package
        # finds its own package's face already running.
        edges |= {face for face in (".".join(parts[:i]) for i in range(1, len(parts)))
                  if not name.startswith(face + ".")}
        edges.add(target)
    return {e for e in edges if e in MODULES and e not in (name, "monitor")}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for child in graph[node]:
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _layer(module: str) -> str:
    """The layer a module belongs to: ``foundation``, ``alerts.delivery``, ``rules``, ..."""
    parts = module.split(".")[1:]
    if not parts:
        return "monitor"
    if parts == ["__main__"]:
        return "cli"
    if len(parts) == 1 and parts[0] in FOUNDATION:
        return "foundation"
    if parts[0] == "alerts" and len(parts) > 1 and parts[1] in ("delivery", "notifiers"):
        return f"alerts.{parts[1]}"
    return parts[0]


def _allowed(source: str, target: str) -> bool:
    """Whether module ``source`` may import module ``target``."""
    layer, goal = _layer(source), _layer(target)
    if goal in ("foundation", layer) or layer == "monitor":
        return True
    if layer == "foundation":
        return False
    return goal in ALLOWED[layer] or (layer in READS_RULES and target in PLUG_POINTS)


def test_the_graph_sees_every_module() -> None:
    """The walk finds the packages and real edges (a broken walk would pass everything)."""
    assert {"monitor.cli.app", "monitor.daemon.runner", "monitor.analysis.window"} <= set(GRAPH)
    assert "monitor.analysis.options" in GRAPH["monitor.daemon.collect"]
    assert "monitor.analysis" in GRAPH["monitor.daemon.runner"]  # the face, run on the way in
    assert "monitor.profiles.readers" in GRAPH["monitor.profiles.builder"]  # from . import x


def test_no_import_cycles() -> None:
    """No module reaches itself through top-level imports, package faces included."""
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The check itself: a three-module loop and a self-import are reported."""
    loop = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert sorted(_cycles(loop)) == [["a", "b", "c"], ["d"]]


def test_imports_go_only_downward() -> None:
    """Each package imports only the layers below it (see ALLOWED and the README's Layout)."""
    upward = sorted(f"{source} -> {target}" for source, targets in GRAPH.items()
                    for target in targets if not _allowed(source, target))
    assert upward == []


def test_layer_rules_catch_an_upward_import() -> None:
    """The check itself: the analysis reaching into the store or the daemon is refused."""
    assert not _allowed("monitor.analysis.window", "monitor.store.repository")
    assert not _allowed("monitor.sources.sql", "monitor.analysis.freshness")
    assert not _allowed("monitor.alerts.evaluate", "monitor.alerts.delivery.dispatcher")
    assert _allowed("monitor.rules.schema", "monitor.sources.base")
    assert _allowed("monitor.daemon.runner", "monitor.analysis.window")


def test_at_most_eight_loose_modules() -> None:
    """The top of the package holds the foundation only; everything else lives in a package."""
    loose = sorted(p.stem for p in ROOT.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(loose) <= MAX_LOOSE_MODULES and set(loose) == FOUNDATION


@pytest.mark.parametrize("name", sorted(n for n, p in MODULES.items() if p.name == "__init__.py"))
def test_each_package_says_what_it_owns_and_must_not_import(name: str) -> None:
    """Every package opens with a docstring naming what it owns and what it must not import."""
    docstring = ast.get_docstring(ast.parse(MODULES[name].read_text())) or ""
    assert docstring, f"{name} has no docstring"
    if name.count(".") == 1 and name != "monitor.cli":
        assert "import" in docstring, f"{name}'s docstring does not say what it must not import"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name: str) -> None:
    """Modules stay small enough to read in one sitting."""
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def _pure_modules() -> list[str]:
    pure = [n for n in MODULES if _layer(n) in (*PURE_PACKAGES, "foundation")]
    pure += [n for n in MODULES if _layer(n) == "alerts"]
    return sorted(pure)


def test_the_pure_core_loads_no_io_library() -> None:
    """Every module of the pure packages, imported in a fresh interpreter, loads no I/O library.

    One interpreter imports them all: if none of the libraries is loaded after
    all of them, none of them loads one.
    """
    pure = _pure_modules()
    assert {"monitor.alerts.evaluate", "monitor.analysis.window", "monitor.rules.schema",
            "monitor.stats.numeric", "monitor.records"} <= set(pure)
    code = ("import importlib, sys\n"
            f"for name in {pure!r}:\n"
            "    importlib.import_module(name)\n"
            f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {IO_LIBRARIES!r}"
            " or m.startswith(('monitor.store', 'monitor.daemon', 'monitor.cli')))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
