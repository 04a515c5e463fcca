"""The ``monitor init`` command: a first monitor drafted from one look at the data.

Reads a bounded sample (``sample``), infers the timestamp, the columns'
roles and kinds, the timing and the quality limits
(``monitor.rules.inference``), and writes the commented rule file
(``draft``) with, when the data is more than one file, the sample beside it
as the reference. The rule file is checked as ``monitor validate`` checks
it before it is put in place, and nothing is overwritten without
``--force``. No results database is opened.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import yaml

from monitor.cli.exit_status import EXIT_OK
from monitor.cli.init.draft import Draft, literal, rule_data, rule_text
from monitor.cli.init.report import print_report
from monitor.cli.init.sample import (
    Sample,
    is_database_url,
    read_file_sample,
    read_table_sample,
)
from monitor.errors import MonitorError
from monitor.rules.fields import NAME_PATTERN, check_name
from monitor.rules.inference import choose_quality, choose_timing, infer_columns
from monitor.rules.loader import load_rules, rule_files
from monitor.settings import Settings
from monitor.times import format_time, utc_now

__all__ = ["cmd_init"]

_PASSWORD = "MONITORINITPASSWORD"  # stands for the password while the URL is rendered


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Draft ``DIR/NAME.yaml`` (and its reference) from DATA; exit 2 on bad input."""
    sample = _read(args)
    name = _name(args.name, sample.name)
    out: Path = args.out
    rule_path = out / f"{name}.yaml"
    snapshot = None if sample.single_file else out / f"{name}.reference.parquet"
    _refuse_overwrite([p for p in (rule_path, snapshot) if p is not None], args.force)
    plan = infer_columns(sample.frame, timestamp=args.timestamp, prediction=args.prediction,
                         target=args.target, excluded=sample.excluded,
                         text_times=sample.text_times)
    if plan.timestamp is None:
        raise MonitorError(_no_timestamp(sample, plan.notes))
    timing = choose_timing(sample.frame[plan.timestamp])
    _check_name_free(out, name, rule_path)
    source, notes, env = _source(sample, out, name)
    if snapshot is None:
        reference = _relative(sample.single_file or Path(), out)
        reference_note = ("the data file itself, profiled on the first run; point path: at "
                          "the training data when you have it")
    else:
        reference = snapshot.name
        span = (f", {format_time(timing.first, 'seconds')} to "
                f"{format_time(timing.last, 'seconds')}" if timing.first and timing.last else "")
        reference_note = (f"the {len(sample.frame):,} rows init read{span}, kept in "
                          f"{snapshot.name}; point path: at the training data when you have it")
    draft = Draft(name=name, source=source, source_notes=notes, reference=literal(reference),
                  reference_note=reference_note, plan=plan, timing=timing,
                  quality=choose_quality(plan, timing), described=sample.described,
                  rows=len(sample.frame), made_at=utc_now())
    text = rule_text(draft)
    if yaml.safe_load(text) != rule_data(draft):
        raise MonitorError(f"the drafted rule file does not read back as drafted; please "
                           f"report it with the data's column names: {list(sample.frame)}")
    _write(out, rule_path, text, snapshot, sample.frame, env)
    print_report(sample, draft, rule_path, snapshot, out, env)
    return EXIT_OK


def _read(args: argparse.Namespace) -> Sample:
    if is_database_url(args.data):
        if not args.table:
            raise MonitorError(f"DATA '{_shown_url(args.data)}' is a database URL: name the "
                               "table to read with --table TABLE")
        return read_table_sample(args.data, args.table, args.timestamp)
    if args.table:
        raise MonitorError(f"--table reads a table of a database: DATA '{args.data}' is not a "
                           "database URL (such as sqlite:///file.db)")
    return read_file_sample(args.data)


def _shown_url(url: str) -> str:
    from monitor.sources.sql import safe_url  # late: SQLAlchemy only for a database

    return safe_url(url)


def _name(given: str | None, suggested: str) -> str:
    if given is not None:
        if not NAME_PATTERN.fullmatch(given):
            raise MonitorError(f"--name '{given}' is not a monitor name: use only letters, "
                               "digits, '-', '_' and '.'")
        try:
            return check_name(given)  # and what else the rules refuse in a name
        except ValueError as exc:
            raise MonitorError(f"--name: {exc}") from None
    cleaned = "".join(c if NAME_PATTERN.fullmatch(c) else "-" for c in suggested).strip("-.")
    return cleaned or "monitor"


def _refuse_overwrite(paths: list[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise MonitorError(f"{existing[0]} already exists: pass --force to overwrite it, or "
                           "choose another name with --name")


def _check_name_free(out: Path, name: str, rule_path: Path) -> None:
    """Monitor names are unique across rule files: fail now rather than at validate."""
    if not out.is_dir() or not any(out.glob("*.y*ml")):
        return
    for path in rule_files([out]):
        if path.resolve() == rule_path.resolve():
            continue
        try:
            rules = load_rules([path], env=os.environ)
        except MonitorError:  # a file that does not load names nothing for sure
            continue
        if any(m.name == name for m in rules.monitors):
            raise MonitorError(f"a monitor named '{name}' is already in {path}: names are "
                               "unique across rule files; choose another with --name")


def _no_timestamp(sample: Sample, notes: tuple[str, ...]) -> str:
    columns = ", ".join(map(str, sample.frame.columns[:20]))
    hints = "".join(f"; {note}" for note in notes)
    return (f"found no timestamp column in {sample.described} (its columns: {columns}){hints}. "
            "A monitor reads its data one time window at a time, by a column of times (or "
            "ISO-8601 text such as 2026-11-24T10:00:00Z): name it with --timestamp COLUMN")


def _source(sample: Sample, out: Path, name: str) -> tuple[dict[str, str], dict[str, str],
                                                           dict[str, str]]:
    """The ``source:`` block as written, notes beside its keys, and the variables it reads."""
    block = dict(sample.source)
    if block["type"] == "file":
        written = {k: literal(str(v)) for k, v in block.items()}
        written["path"] = literal(_relative(Path(block["path"]), out))
        notes = {"path": "the data, from this file's folder"}
        if block.get("partitioning") == "hive":
            notes["partitioning"] = ("key=value folders; see the README's partitions: to "
                                     "read only a window's")
        return written, notes, {}
    return _sql_source(block, name)


def _sql_source(block: Mapping[str, Any], name: str) -> tuple[dict[str, str], dict[str, str],
                                                              dict[str, str]]:
    from sqlalchemy.engine import make_url

    url = make_url(block["url"])
    notes: dict[str, str] = {}
    env: dict[str, str] = {}
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:") and not Path(url.database).is_absolute():
        url = url.set(database=os.path.abspath(url.database))
        notes["url"] = "absolute: SQLite reads a relative path from the working directory"
    written = literal(url.render_as_string(hide_password=False))
    if url.password is not None:
        variable = "".join(c if c.isalnum() else "_" for c in name.upper()) + "_DB_PASSWORD"
        env[variable] = quote(str(url.password), safe="")  # as the URL holds it
        written = literal(url.set(password=_PASSWORD).render_as_string(hide_password=False))
        written = written.replace(_PASSWORD, f"${{{variable}}}")
        notes["url"] = f"the password (%-encoded) comes from the environment: ${variable}"
    return ({"type": "sql", "url": written, "table": literal(str(block["table"]))}, notes, env)


def _relative(path: Path, out: Path) -> str:
    """``path`` from the rule file's folder, as the loader resolves it (absolute if it must)."""
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(out))
    except ValueError:  # another drive
        return Path(os.path.abspath(path)).as_posix()
    return Path(relative).as_posix()


def _write(out: Path, rule_path: Path, text: str, snapshot: Path | None, frame: pd.DataFrame,
           env: Mapping[str, str]) -> None:
    """Write the files beside each other, check the rule file, then put both in place."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MonitorError(f"cannot create the folder '{out}': {exc.strerror}") from exc
    drafts: list[tuple[Path, Path]] = []
    try:
        if snapshot is not None:
            drafts.append((out / f".{snapshot.name}.tmp", snapshot))
            _parquet(frame).to_parquet(drafts[-1][0], index=False)
        drafts.append((out / f".{rule_path.name}.tmp", rule_path))
        drafts[-1][0].write_text(text, encoding="utf-8")
        load_rules([drafts[-1][0]], env={**os.environ, **env})
        for draft, final in drafts:
            os.replace(draft, final)
    except OSError as exc:
        raise MonitorError(f"cannot write into '{out}': {exc.strerror or exc}") from exc
    finally:
        for draft, _final in drafts:
            draft.unlink(missing_ok=True)


def _parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample with values Parquet cannot store (a database's UUIDs, say) as their text."""
    try:
        pa.Table.from_pandas(frame, preserve_index=False)
        return frame
    except (pa.ArrowException, TypeError, ValueError):
        pass
    fixed = frame.copy()
    for column in fixed.columns:
        try:
            pa.array(fixed[column], from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            fixed[column] = fixed[column].map(lambda v: v if v is None else str(v))
    return fixed
