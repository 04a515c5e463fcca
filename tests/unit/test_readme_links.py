"""The README points only at what the repository holds.

Collected from README.md outside fenced code blocks (those are examples of
the user's own files): the targets of links and images, backticked paths
whose first part is a folder or file of the repository (``docs/…``,
``benchmarks/….py``, ``deploy/``) or a package of ``monitor/`` (``daemon/runner.py``,
as the layout section writes them), globs (``rules/*.yaml``: something must
match) and tests named as ``file.py::test_name`` (the file under ``tests/``,
and the test in it). Generated files (``examples/data/``, ``monitor.db``),
web addresses and placeholders in capitals (``/monitors/NAME``) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
TOP = {"monitor", "tests", "docs", "deploy", "benchmarks", "examples", "rules", "alembic", ".ci",
       "Dockerfile", "Makefile", "pyproject.toml", "alembic.ini", "README.md"}
PACKAGES = {p.name for p in (REPO / "monitor").iterdir() if (p / "__init__.py").is_file()}
GENERATED = ("examples/data/", "monitor.db", "build/", ".venv/")
PLACEHOLDER = re.compile(r"\b(?:NAME|ID|END|PATH|DIR|FILE)\b")
LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
CODE = re.compile(r"`([^`]+)`")
PATH = re.compile(r"[\w.\-/*]+")
TEST = re.compile(r"([\w./\-]+\.py)::(\S+)")


@dataclass(frozen=True)
class Pointer:
    """One thing the README points at, with where it says so."""

    line: int
    target: str
    kind: str  # link, path or test

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.kind} {self.target!r}"


def pointers(markdown: str) -> list[Pointer]:
    """The links, repository paths and named tests of ``markdown``, outside fenced blocks."""
    found: list[Pointer] = []
    fenced = False
    for number, line in enumerate(markdown.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        for match in LINK.finditer(line):
            target = match.group(1) or match.group(2)
            if not re.match(r"[a-z][a-z0-9+.\-]*:|#", target):  # not a web address or anchor
                found.append(Pointer(number, target.split("#")[0], "link"))
        for match in CODE.finditer(line):
            found += _code_pointer(number, match.group(1).strip())
    return found


def _code_pointer(number: int, text: str) -> list[Pointer]:
    if TEST.fullmatch(text):
        return [Pointer(number, text, "test")]
    if not PATH.fullmatch(text) or text.startswith(GENERATED) or PLACEHOLDER.search(text):
        return []
    first, slash, _ = text.partition("/")
    if first in TOP and (slash or first[0].isupper() or "." in first):
        return [Pointer(number, text, "path")]
    if first in PACKAGES and slash:
        return [Pointer(number, f"monitor/{text}", "path")]
    return []


def problem(pointer: Pointer) -> str | None:
    """Why ``pointer`` points at nothing in the repository, or None."""
    if pointer.kind == "test":
        match = TEST.fullmatch(pointer.target)
        assert match is not None
        name, test = match.groups()
        files = [REPO / name] if "/" in name else sorted((REPO / "tests").rglob(name))
        files = [f for f in files if f.is_file()]
        if not files:
            return f"no test file {name} under tests/"
        if test.startswith("…"):  # an abbreviated name: the file is what can be checked
            return None
        pattern = re.compile(rf"^\s*def {re.escape(test)}\(", re.M)
        if not any(pattern.search(f.read_text()) for f in files):
            return f"no test {test} in {', '.join(str(f.relative_to(REPO)) for f in files)}"
        return None
    if "*" in pointer.target:
        return None if any(REPO.glob(pointer.target)) else "the pattern matches no file"
    path = REPO / pointer.target
    if pointer.target.endswith("/"):
        return None if path.is_dir() else "no such folder"
    return None if path.exists() else "no such file"


FOUND = pointers(README.read_text())


@pytest.mark.parametrize("pointer", FOUND, ids=str)
def test_the_readme_points_at_something_that_exists(pointer: Pointer) -> None:
    """Each link, image, path and named test of the README is in the repository."""
    assert problem(pointer) is None, f"{pointer}: {problem(pointer)}"


def test_the_collection_sees_every_kind_of_pointer() -> None:
    """The README's images, links, scripts, module paths and tests are all collected."""
    targets = {p.target for p in FOUND}
    assert {"docs/console.png", "docs/report.png", "deploy/README.md",
            "benchmarks/calibration.py", "monitor/daemon/runner.py", "rules/*.yaml",
            "tests/unit/test_profile_format.py::test_a_version_1_profile_loads_and_compares",
            } <= targets
    assert not any(t.startswith(("http", "/", "examples/data/")) for t in targets)


def test_a_missing_file_a_bad_glob_and_a_renamed_test_are_caught() -> None:
    """Pointers at nothing are reported; generated files, placeholders and examples are not."""
    text = "\n".join([
        "![chart](docs/gone.png) [guide](docs/reliability.md#figures) <https://example.com>",
        "`benchmarks/nowhere.py`, `deploy/none/*.yml`, `analysis/gone.py`, `daemon/`",
        "`test_stats_numeric.py::test_that_was_renamed`, `test_stats_numeric.py::…scipy`",
        "`examples/data/train.parquet`, `monitor.db`, `/monitors/NAME`, `rules/NAME.yaml`",
        "```yaml", "reference: {path: data/train.parquet}  # `docs/inside_a_fence.md`", "```",
    ])
    reported = {p.target: problem(p) for p in pointers(text)}
    assert reported == {
        "docs/gone.png": "no such file",
        "docs/reliability.md": None,
        "benchmarks/nowhere.py": "no such file",
        "deploy/none/*.yml": "the pattern matches no file",
        "monitor/analysis/gone.py": "no such file",
        "monitor/daemon/": None,
        "test_stats_numeric.py::test_that_was_renamed":
            "no test test_that_was_renamed in tests/unit/stats/test_stats_numeric.py",
        "test_stats_numeric.py::…scipy": None,
    }
