"""The ``monitor compare`` command: two data sets compared, no database needed.

Kept apart from the other commands so that it imports only the statistics
core and the file source: no database driver, migrations, HTTP client or
scheduler, which would cost a second of start-up on every ad-hoc comparison.
A stored profile named as REFERENCE opens the store only then.

The flags give columns the roles of a rule file's ``columns:`` block, so that
an ad-hoc comparison judges the data as the daemon does: the timestamp and the
labels are never compared as features, the prediction and the labels give
model metrics, and each segment is compared on its own. A profile as
REFERENCE brings the roles it was built with (``Profile.roles``, its
performance summary and its segments); the flags add to them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from monitor.cli.exit_status import EXIT_FINDINGS, EXIT_OK
from monitor.errors import MonitorError, ProfileError, SourceError
from monitor.profiles import (
    Profile,
    ProfileBuilder,
    Roles,
    build_profile,
    segment_columns,
    without_columns,
)
from monitor.profiles.embeddings import embedding_columns
from monitor.settings import Settings
from monitor.sources.files import FileSource
from monitor.sources.timestamps import to_utc
from monitor.times import format_time

if TYPE_CHECKING:
    from monitor.analysis import Comparison, QualityOptions
    from monitor.checks import QualityResult

__all__ = ["cmd_compare", "flag_roles", "named_columns", "require_columns"]

_SHOWN_COLUMNS = 40  # columns listed in a "not in the data" message
_SHOWN_DRIFTED = 5  # drifted columns named per segment in the table


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Compare two data sets; exit 1 when something drifted or a check failed (segments too)."""
    # The statistics (scipy) take a second to import; the profiles need none of it, so
    # import them on the side while the reference is read.
    warm = threading.Thread(target=importlib.import_module, args=("monitor.analysis",),
                            daemon=True)
    warm.start()
    reference, roles, reference_times = _load_reference(args, settings, flag_roles(args))
    warm.join()
    from monitor.analysis import DriftOptions, QualityOptions, compare, compare_segments

    current_times = _Tap(roles.timestamp)
    current_source = FileSource(FileSource.Config(type="file", path=args.current))
    builder = ProfileBuilder(reference=reference, exclude=roles.unprofiled,
                             prediction=roles.prediction, target=roles.target, task=roles.task,
                             segments=roles.segments)
    checks = _Checks(args.checks, reference, roles) if args.checks else None
    for chunk in current_times.watch(current_source.read()):
        builder.update(chunk)
        if checks is not None:
            checks.update(chunk)
    current = builder.build()
    try:
        options = DriftOptions(method=args.method, threshold=args.threshold,
                               correction=args.correction, prediction=roles.prediction)
        limits = checks.limits() if checks is not None else QualityOptions()
        comparison = compare(reference, current, options, limits)
        if checks is not None:
            comparison = replace(comparison, quality=comparison.quality + checks.results())
        segments = {key: part.comparison for key, part in
                    compare_segments(reference, current, options, limits).items()}
    except ValueError as exc:
        raise MonitorError(str(exc)) from exc
    times = _times_line(roles.timestamp, reference_times, current_times)
    print(_render(args, comparison, segments, reference, current, times))
    failed = any(c.drifted_columns or c.failed_quality or any(e.drifted for e in c.embeddings)
                 or any(t.drifted for t in c.texts) for c in (comparison, *segments.values()))
    return EXIT_FINDINGS if failed else EXIT_OK


def flag_roles(args: argparse.Namespace) -> Roles:
    """The roles the column flags give (flags a command does not take stay empty).

    Raises:
        MonitorError: one column is given two roles that exclude each other.
    """
    roles = Roles(
        categorical=_unique(args.categorical), text=_unique(getattr(args, "text", ())),
        prediction=getattr(args, "prediction", None), target=getattr(args, "target", None),
        task=getattr(args, "task", None), exclude=_unique(args.exclude),
        segments=_unique(getattr(args, "segment", ())),
        timestamp=getattr(args, "timestamp", None), score=_unique(getattr(args, "score", ())),
        embedding=_unique(getattr(args, "embedding", ())),
    )
    _check_exclusive(roles)
    return roles


def named_columns(roles: Roles) -> list[tuple[str, str]]:
    """Each column the roles name, with the flag that names it, such as ``("--target", "y")``."""
    named = [(f"--{role}", name) for role in ("timestamp", "prediction", "target")
             if (name := getattr(roles, role)) is not None]
    named += [("--categorical", c) for c in roles.categorical]
    named += [("--text", c) for c in roles.text]
    named += [("--segment", c) for c in roles.segments]
    named += [("--score", c) for c in roles.score_columns]
    named += [("--embedding", c) for c in roles.embedding]
    return named


def require_columns(named: Sequence[tuple[str, str]], columns: Collection[str],
                    where: str) -> None:
    """Fail with one line naming each column a flag names that ``where`` does not have."""
    missing = [(flag, name) for flag, name in named
               if not (embedding_columns(name, list(columns)) if name.endswith("*")
                       else name in columns)]
    if not missing:
        return
    listed = ", ".join(f"'{name}' ({flag})" for flag, name in missing)
    shown = ", ".join(list(columns)[:_SHOWN_COLUMNS]) or "none"
    if len(columns) > _SHOWN_COLUMNS:
        shown += f", ... ({len(columns)} in all)"
    noun, verb = ("column", "is") if len(missing) == 1 else ("columns", "are")
    raise MonitorError(f"{noun} {listed} {verb} not in {where}; its columns are: {shown}")


def _check_exclusive(roles: Roles) -> None:
    """A column has at most one of timestamp, prediction, target; of text, categorical."""
    for name, given in roles.conflicts().items():
        flags = " and ".join(f"--{role}" for role in given)
        raise MonitorError(f"column '{name}' is given two roles, {flags}; give it one")


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _load_reference(
    args: argparse.Namespace, settings: Settings, flags: Roles
) -> tuple[Profile, Roles, _Tap | None]:
    """The reference profile and the comparison's roles; and what the data held, for a file."""
    path = Path(args.reference)
    if path.exists() and path.suffix == ".json" and _is_profile_json(path):
        profile = Profile.from_dict(json.loads(path.read_text()))
        where = f"the reference profile '{args.reference}'"
    elif path.exists() or any(ch in args.reference for ch in "/\\*?") or path.suffix:
        return _profile_data(args.reference, flags)
    else:
        profile = _stored_profile(args.reference, settings)
        where = f"the stored profile '{args.reference}'"
    roles = _with_roles(profile, flags, where)
    # A role given now that the profile was built without: those columns are not compared.
    dropped = [*roles.unprofiled, *([roles.target] if roles.target else [])]
    return without_columns(profile, dropped), roles, None


def _profile_data(reference: str, roles: Roles) -> tuple[Profile, Roles, _Tap]:
    """Profile the reference data in the roles' terms; each column they name must be in it."""
    tap = _Tap(roles.timestamp)
    source = FileSource(FileSource.Config(type="file", path=reference))
    profile = build_profile(
        tap.watch(source.read()), categorical=roles.categorical,
        kinds=dict.fromkeys(roles.text, "text"), exclude=roles.unprofiled,
        prediction=roles.prediction, target=roles.target, task=roles.task,
        segments=roles.segments, **roles.builder_options(),
    )
    if tap.chunks:  # an empty file says nothing of its columns
        require_columns(named_columns(roles), tap.columns, f"REFERENCE '{reference}'")
    return profile, roles, tap


def _stored_profile(name: str, settings: Settings) -> Profile:
    from monitor.store import open_store  # only for a stored profile's name

    store = open_store(settings.database_url, schema=settings.database_schema)
    try:
        stored = store.get_profile(name)
    finally:
        store.close()
    if stored is None:
        raise ProfileError(f"REFERENCE '{name}' is neither a file nor a profile "
                           f"stored in {settings.database_url.split('://')[0]} database")
    return Profile.from_dict(stored.body)


def _with_roles(profile: Profile, flags: Roles, where: str) -> Roles:
    """The roles a profile was built with, and the flags' (a flag wins over a stored name).

    Raises:
        MonitorError: a flag names a column the profile lacks, or asks for a kind the
            profile did not read the column as (its summaries cannot change kind).
    """
    stored = profile.roles or Roles()
    performance = profile.performance
    segmented = segment_columns(profile)
    roles = Roles(
        categorical=_unique((*stored.categorical, *flags.categorical)),
        text=_unique((*stored.text, *flags.text)),
        prediction=flags.prediction or stored.prediction or (
            performance.prediction if performance else None),
        target=flags.target or stored.target or (performance.target if performance else None),
        task=flags.task or stored.task or (performance.task if performance else None),
        exclude=_unique((*stored.exclude, *flags.exclude)),
        segments=_unique((*stored.segments, *segmented, *flags.segments)),
        timestamp=flags.timestamp or stored.timestamp, score=flags.score or stored.score,
        embedding=_unique((*stored.embedding, *flags.embedding)),
    )
    for flag, names, kind in (("--text", flags.text, "text"),
                              ("--categorical", flags.categorical, "categorical")):
        for name in names:
            column = profile.columns.get(name)
            if column is not None and column.kind != kind:
                raise MonitorError(f"column '{name}' ({flag}) is {column.kind} in {where}: "
                                   f"profile the reference again with {flag} {name}")
    _check_exclusive(roles)
    # The timestamp, the labels and excluded columns may have been left out of the profile.
    checked = [(flag, name) for flag, name in named_columns(flags)
               if flag in ("--prediction", "--categorical", "--text", "--segment")]
    known = dict.fromkeys((*profile.columns, *segmented, *stored.exclude))
    require_columns(checked, known, where)
    return roles


class _Checks:
    """The ``--checks`` file's checks, run on the current data's chunks as they go by."""

    def __init__(self, path: str, reference: Profile, roles: Roles) -> None:
        from monitor.analysis.window import reference_kinds
        from monitor.checks.local import CheckAccumulator
        from monitor.rules.checkfile import load_quality

        self.path = path
        self.known = (roles.timestamp,) if roles.timestamp else ()
        self.spec, self.plan = load_quality(path, os.environ, known=self.known)
        self.accumulator = CheckAccumulator(self.plan, reference_kinds(reference))
        self.seen = False

    def update(self, chunk: pd.DataFrame) -> None:
        """Check the chunk; on the first, that the data has every column the checks read."""
        if not self.seen:
            from monitor.rules.checkfile import load_checks

            load_checks(self.path, os.environ, columns=list(map(str, chunk.columns)),
                        known=self.known)
            self.seen = True
        self.accumulator.update(chunk)

    def results(self) -> tuple[QualityResult, ...]:
        """The checks' results over every chunk seen."""
        return tuple(self.accumulator.results())

    def limits(self) -> QualityOptions:
        """The file's whole-window limits (``missing_share``, ``min_rows``...)."""
        from monitor.analysis.options import quality_limits

        return quality_limits(self.spec)


class _Tap:
    """Watches one side's chunks go by: the columns they hold, the span of the timestamp."""

    def __init__(self, timestamp: str | None) -> None:
        self.timestamp = timestamp
        self.columns: dict[str, None] = {}
        self.chunks = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.unreadable = 0
        self.problem: str | None = None

    def watch(self, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Yield ``chunks`` unchanged, noting what they hold."""
        for chunk in chunks:
            self.chunks += 1
            self.columns.update(dict.fromkeys(map(str, chunk.columns)))
            column = self.timestamp
            if (column is not None and column in chunk.columns and self.problem is None
                    and not chunk.columns.has_duplicates):  # duplicates: the builder says so
                self._add_times(chunk[column])
            yield chunk

    def _add_times(self, values: pd.Series) -> None:
        try:
            stamps = to_utc(values)
        except SourceError:  # numbers: still never compared, but they give no span
            self.problem = "holds numbers, not times"
            return
        self.unreadable += int((stamps.isna() & values.notna()).sum())
        valid = stamps.dropna()
        if valid.empty:
            return
        first = valid.min().to_pydatetime(warn=False)
        last = valid.max().to_pydatetime(warn=False)
        self.first = first if self.first is None else min(self.first, first)
        self.last = last if self.last is None else max(self.last, last)

    def span(self) -> str:
        """First to last time in UTC, or why there is none."""
        if self.problem is not None:
            return self.problem
        if self.timestamp not in self.columns:
            return "no such column" if self.chunks else "no rows"
        if self.first is None or self.last is None:
            return "no readable time"
        text = f"{format_time(self.first, 'seconds')} to {format_time(self.last, 'seconds')}"
        if self.unreadable:
            text += f" ({self.unreadable:,} rows without a readable time)"
        return text


def _times_line(column: str | None, reference: _Tap | None, current: _Tap) -> str | None:
    """The time spans of both sides (a profile as reference keeps none)."""
    if column is None:
        return None
    sides = [f"reference {reference.span()}"] if reference is not None else []
    return f"Timestamps ({column}): " + "; ".join([*sides, f"current {current.span()}"])


def _render(
    args: argparse.Namespace, comparison: Comparison, segments: Mapping[str, Comparison],
    reference: Profile, current: Profile, times: str | None,
) -> str:
    """The comparison in the asked format; the HTML page draws both profiles' distributions.

    The JSON document is the stable contract of the README: the flags change what it
    holds, never its keys, so segments and time spans show in the table and the page.
    """
    from monitor.analysis import report_document
    from monitor.report import render_json, render_report, render_table

    if args.format == "json":
        return render_json(comparison, args.reference, args.current)
    if args.format == "html":
        return render_report(report_document(
            comparison, reference, current, reference_source=args.reference,
            current_source=args.current, segments=segments))
    text = render_table(comparison, args.reference, args.current)
    if times is not None:
        text += "\n" + times + "\n"
    if segments:
        text += "\n" + "\n".join(_segment_lines(segments)) + "\n"
    return text


def _segment_lines(segments: Mapping[str, Comparison]) -> list[str]:
    """One table row per segment: rows, columns drifted, drift share, failed checks."""
    from monitor.report.text import format_table

    rows = []
    for key, part in segments.items():
        drifted = [c.column for c in part.drifted_columns]
        named = ", ".join(drifted[:_SHOWN_DRIFTED]) + (
            f" +{len(drifted) - _SHOWN_DRIFTED} more" if len(drifted) > _SHOWN_DRIFTED else "")
        rows.append((key, f"{part.current_rows:,}", f"{len(drifted)} of {len(part.columns)}",
                     f"{part.drift_share:.1%}" if part.columns else "-",
                     str(len(part.failed_quality)), named or "-"))
    headers = ("segment", "rows", "drifted", "drift share", "failed checks", "drifted columns")
    return ["Segments (each against the reference's own segment, else the whole reference):",
            *format_table(headers, rows)]


def _is_profile_json(path: Path) -> bool:
    try:
        with path.open() as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return '"format_version"' in head
