"""Reference profiles of monitors: a stored profile by name, or a file profiled on first use.

A file reference is profiled once per process and per file version (path,
size, modification time and the column settings), and stored under
``<monitor>.reference`` so runs record which profile version they used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.analysis.options import (
    check_columns,
    column_kinds,
    estimation_options,
    profile_exclusions,
    segment_columns,
)
from monitor.errors import ProfileError, SourceError
from monitor.profiles import Profile
from monitor.rules.schema import MonitorSpec
from monitor.sources.files import profile_file
from monitor.store.repository import Store

__all__ = ["Reference", "ReferenceResolver"]


@dataclass(frozen=True, slots=True)
class Reference:
    """The profile a monitor compares with, and where it is stored."""

    name: str
    version: int
    profile: Profile


class ReferenceResolver:
    """Finds each monitor's reference profile, caching file profiles."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._files: dict[tuple[object, ...], Reference] = {}

    def resolve(self, spec: MonitorSpec) -> Reference:
        """The monitor's reference, checked against the columns its rules name."""
        if spec.reference.profile is not None:
            reference = self._stored(spec.reference.profile, spec.reference.version)
        else:
            reference = self._file(spec)
        check_columns(spec, reference.profile, f"{reference.name} v{reference.version}")
        return reference

    def _stored(self, name: str, version: int | None) -> Reference:
        stored = self.store.get_profile(name, version)
        if stored is None:
            which = f"'{name}' version {version}" if version else f"'{name}'"
            raise ProfileError(
                f"reference profile {which} is not in the database: build it with "
                f"`monitor profile DATA --name {name}`"
            )
        return Reference(stored.name, stored.version, Profile.from_dict(stored.body))

    def _file(self, spec: MonitorSpec) -> Reference:
        path = Path(spec.reference.path or "").expanduser()
        if not path.is_absolute():
            path = spec.origin.parent / path
        try:
            stat = path.stat()
        except OSError as exc:
            raise SourceError(f"reference file '{path}' of monitor '{spec.name}' cannot be "
                              f"read: {exc.strerror}") from exc
        exclude = profile_exclusions(spec)
        kinds = column_kinds(spec)
        key = (str(path), stat.st_size, stat.st_mtime_ns,
               tuple(spec.columns.categorical), tuple(exclude), tuple(sorted(kinds.items())),
               tuple(segment_columns(spec)), repr(estimation_options(spec)),
               tuple(spec.columns.embedding))
        with self._lock:
            cached = self._files.get(key)
            if cached is not None:
                return cached
            profile = profile_file(path, categorical=list(spec.columns.categorical),
                                   exclude=exclude, kinds=kinds, segments=segment_columns(spec),
                                   embeddings=list(spec.columns.embedding),
                                   **estimation_options(spec))
            stored = self.store.save_profile(f"{spec.name}.reference", profile.to_dict(),
                                             profile.content_hash(), profile.rows, self.clock())
            reference = Reference(stored.name, stored.version, profile)
            self._files[key] = reference
            return reference
