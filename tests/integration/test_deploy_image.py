"""constraints.txt and the Dockerfile's build: exact pins, and a context that builds the wheel.

``constraints.txt`` must pin every runtime dependency (``pyproject.toml``'s
and the ``postgres`` and ``estimate`` extras', and what they need in turn) with ``==`` to a
version ``pyproject.toml`` accepts; ``make constraints`` writes it. The image
builds from a clean checkout: every ``COPY`` source of the build stage exists
and ``.dockerignore`` keeps none of it out, and a wheel built from those
sources alone, laid out as ``COPY`` lays them out (``monitor/migrations``
stays a link to ``../alembic``), holds the migrations and the templates.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in [*PROJECT["dependencies"],
                                    *PROJECT["optional-dependencies"]["postgres"],
                                    *PROJECT["optional-dependencies"]["estimate"]]]


def pins() -> dict[str, Version]:
    """constraints.txt as {canonical name: version}; every line a comment or NAME==VERSION."""
    found: dict[str, Version] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in found, f"{name} pinned twice"
        found[name] = Version(match.group(2))
    return found


def test_every_runtime_dependency_is_pinned_within_its_bounds() -> None:
    """Each dependency of pyproject.toml (psycopg too) has an exact pin its specifier accepts."""
    pinned = pins()
    for requirement in RUNTIME:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside {requirement}")
    assert canonicalize_name(PROJECT["name"]) not in pinned  # the project is never pinned


def test_what_the_dependencies_need_is_pinned_too() -> None:
    """The pins are closed: what a pinned package requires on this platform is pinned as well."""
    pinned = pins()
    extras = {canonicalize_name(r.name): r.extras for r in RUNTIME}
    for name in pinned:
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:  # not in this environment: nothing to read its needs from
            continue
        for needed in map(Requirement, requires):
            environment = [{"extra": extra} for extra in extras.get(name, set()) or {""}]
            if needed.marker is None or any(needed.marker.evaluate(e) for e in environment):
                assert canonicalize_name(needed.name) in pinned, (
                    f"{name} needs {needed}, which constraints.txt does not pin")


def test_make_constraints_says_how_the_file_was_made() -> None:
    """The header names the command, and the Makefile's target freezes without the project."""
    header = (REPO / "constraints.txt").read_text().splitlines()[:4]
    assert any("make constraints" in line for line in header) and all(
        line.startswith("#") for line in header)
    makefile = (REPO / "Makefile").read_text()
    target = makefile[makefile.index("\nconstraints:"):]
    assert "install --quiet -e '.[postgres,estimate]'" in target
    assert "freeze --exclude-editable" in target and "> constraints.txt.tmp" in target


def build_sources() -> list[str]:
    """The build stage's COPY sources, in order."""
    text = (REPO / "Dockerfile").read_text()
    build = text[:text.index("\nFROM ", text.index("FROM "))]
    return [source for line in re.findall(r"^COPY (?!--from)(.+)$", build, re.M)
            for source in line.split()[:-1]]


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the context) or a parent out."""
    patterns = (REPO / ".dockerignore").read_text().split()
    assert not any(p.startswith("!") for p in patterns)  # exceptions are not modelled here
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes for pattern in patterns)


def test_the_build_stage_uses_the_constraints_and_copies_what_the_wheel_needs() -> None:
    """pyproject, README, constraints, alembic and monitor go in; nothing of them is ignored."""
    sources = build_sources()
    assert {"pyproject.toml", "README.md", "constraints.txt", "alembic", "monitor"} <= set(sources)
    assert (REPO / "monitor" / "migrations").resolve() == (REPO / "alembic").resolve()
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source), f".dockerignore leaves out {source}"
    listed = subprocess.run(["git", "ls-files", "--", "monitor", "alembic"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed and [path for path in listed if ignored(path)] == []
    assert ignored("monitor/__pycache__/x.pyc") and ignored(".venv") and ignored("monitor.db")
    text = (REPO / "Dockerfile").read_text()
    assert ("pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt "
            "'.[postgres,estimate]'") in text
    assert "--no-index --find-links /wheels 'monitor[postgres,estimate]'" in text


def test_the_copied_sources_alone_build_a_complete_wheel(tmp_path: Path) -> None:
    """A wheel of the build stage's sources holds migrations, templates and static files."""
    context = tmp_path / "src"
    context.mkdir()
    for source in build_sources():
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, context / source, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / source, context / source)
    assert (context / "monitor" / "migrations").is_symlink()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(tmp_path / "dist"), str(context)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = {p.name for p in (REPO / "alembic" / "versions").glob("*.py")}
    assert {f"monitor/migrations/versions/{v}" for v in versions} <= names
    assert {"monitor/migrations/env.py", "monitor/migrations/script.py.mako"} <= names
    for package in ("report", "console"):
        assert any(n.startswith(f"monitor/{package}/templates/") for n in names), package
        assert any(n.startswith(f"monitor/{package}/static/") for n in names), package
