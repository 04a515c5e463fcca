"""The ``monitor compare`` command: two data sets compared, no database needed.

Kept apart from the other commands so that it imports only the statistics
core and the file source: no database driver, migrations, HTTP client or
scheduler, which would cost a second of start-up on every ad-hoc comparison.
A stored profile named as REFERENCE opens the store only then.
"""

from __future__ import annotations

import argparse
import importlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli.exit_status import EXIT_FINDINGS, EXIT_OK
from monitor.errors import MonitorError, ProfileError
from monitor.profiles import Profile, ProfileBuilder
from monitor.settings import Settings
from monitor.sources.files import FileSource, profile_file

if TYPE_CHECKING:
    from monitor.analysis import Comparison

__all__ = ["cmd_compare"]


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Compare two data sets; exit 1 when something drifted or a check failed."""
    # The statistics (scipy) take a second to import; the profiles need none of it, so
    # import them on the side while the reference is read.
    warm = threading.Thread(target=importlib.import_module, args=("monitor.analysis",),
                            daemon=True)
    warm.start()
    reference = _load_reference(args, settings)
    warm.join()
    from monitor.analysis import DriftOptions, QualityOptions, compare

    current_source = FileSource(FileSource.Config(type="file", path=args.current))
    builder = ProfileBuilder(reference=reference, exclude=args.exclude)
    for chunk in current_source.read():
        builder.update(chunk)
    current = builder.build()
    try:
        options = DriftOptions(method=args.method, threshold=args.threshold,
                               correction=args.correction)
        comparison = compare(reference, current, options, QualityOptions())
    except ValueError as exc:
        raise MonitorError(str(exc)) from exc
    print(_render(args, comparison, reference, current))
    failed = any(c.drifted for c in comparison.columns) or any(
        not q.passed for q in comparison.quality)
    return EXIT_FINDINGS if failed else EXIT_OK


def _render(
    args: argparse.Namespace, comparison: Comparison, reference: Profile, current: Profile
) -> str:
    """The comparison in the asked format; the HTML page draws both profiles' distributions."""
    from monitor.analysis import report_document
    from monitor.report import render_json, render_report, render_table

    if args.format == "json":
        return render_json(comparison, args.reference, args.current)
    if args.format == "html":
        return render_report(report_document(
            comparison, reference, current, reference_source=args.reference,
            current_source=args.current))
    return render_table(comparison, args.reference, args.current)


def _load_reference(args: argparse.Namespace, settings: Settings) -> Profile:
    path = Path(args.reference)
    if path.exists() and path.suffix == ".json" and _is_profile_json(path):
        return Profile.from_dict(json.loads(path.read_text()))
    if path.exists() or any(ch in args.reference for ch in "/\\*?") or path.suffix:
        return profile_file(path, categorical=args.categorical, exclude=args.exclude)
    from monitor.store import open_store  # only for a stored profile's name

    store = open_store(settings.database_url)
    try:
        stored = store.get_profile(args.reference)
    finally:
        store.close()
    if stored is None:
        raise ProfileError(f"REFERENCE '{args.reference}' is neither a file nor a profile "
                           f"stored in {settings.database_url.split('://')[0]} database")
    return Profile.from_dict(stored.body)


def _is_profile_json(path: Path) -> bool:
    try:
        with path.open() as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return '"format_version"' in head
