"""The data files a monitor names on disk, and which of them are missing.

A reference given as ``path:`` and a ``file`` source (the monitor's, or its
labels') name files; relative paths start at the rule file's folder. A
missing file is not an error when rules load (data may arrive later, and the
run that reads it reports it), but ``monitor validate`` warns of it, since it
is most often a typo.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from monitor.rules.schema import MonitorSpec, SourceSpec
from monitor.rules.validation import Loc

__all__ = ["MissingFile", "missing_files"]


@dataclass(frozen=True, slots=True)
class MissingFile:
    """A path a monitor names that matches nothing on disk.

    Attributes:
        loc: where the path is written, from the monitor (``("reference", "path")``).
        written: the path as the rule gives it (a file, a folder or a glob).
        resolved: where it was looked for.
    """

    loc: Loc
    written: str
    resolved: Path

    @property
    def message(self) -> str:
        """What an operator reads."""
        what = "no file matches" if glob.has_magic(self.written) else "no such file or folder"
        return f"{what}: '{self.written}' (looked for {self.resolved})"


def missing_files(spec: MonitorSpec) -> list[MissingFile]:
    """The paths ``spec`` names that match no file or folder, resolved from its rule file."""
    named: list[tuple[Loc, str]] = []
    if spec.reference.path is not None:
        named.append((("reference", "path"), spec.reference.path))
    named += [(loc, path) for loc, path in [
        (("source", "path"), _file_path(spec.source)),
        (("labels", "source", "path"), _file_path(spec.labels.source) if spec.labels else None),
    ] if path is not None]
    found = []
    for loc, written in named:
        try:
            resolved = spec.resolve_path(written)
        except RuntimeError:  # '~user/...' naming no user
            resolved = Path(written)
        if not _exists(resolved):
            found.append(MissingFile(loc, written, resolved))
    return found


def _file_path(source: SourceSpec) -> str | None:
    path = getattr(source.config, "path", None)
    return path if source.type == "file" and isinstance(path, str) else None


def _exists(path: Path) -> bool:
    """Whether a path, or a glob's first match, is on disk (a path with a NUL byte is not)."""
    try:
        if glob.has_magic(str(path)):
            return next(glob.iglob(str(path), recursive=True), None) is not None
        return path.exists()
    except (OSError, ValueError):
        return False
