"""What ``monitor init`` prints: what it inferred, what it wrote, and the commands to type next."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from monitor.cli.init.draft import Draft
from monitor.cli.init.sample import SAMPLE_ROWS, Sample
from monitor.times import format_duration, format_time, utc_now
from monitor.windows import align, latest_complete_window

__all__ = ["print_report", "report_lines"]

_NAME_WIDTH = 24


def print_report(sample: Sample, draft: Draft, rule_path: Path, snapshot: Path | None,
                 out: Path, env: Mapping[str, str]) -> None:
    """Print the report of one ``monitor init``."""
    print("\n".join(report_lines(sample, draft, rule_path, snapshot, out, env)))


def report_lines(sample: Sample, draft: Draft, rule_path: Path, snapshot: Path | None,
                 out: Path, env: Mapping[str, str]) -> list[str]:
    """The report: the columns' roles, the timing, the files written, the next commands."""
    plan, timing = draft.plan, draft.timing
    which = f"the last {draft.rows:,}" if draft.rows >= SAMPLE_ROWS else f"{draft.rows:,}"
    lines = [f"read {which} rows of {sample.described} ({len(plan.columns)} columns)", ""]
    width = min(_NAME_WIDTH, max(len("column"), *(len(c.name) for c in plan.columns)))
    lines.append(f"{'column':<{width}}  {'kind':<11}  {'role':<10}  why")
    for choice in plan.columns:
        name = choice.name if len(choice.name) <= width else choice.name[:width - 1] + "…"
        lines.append(f"{name:<{width}}  {choice.kind:<11}  {choice.role:<10}  {choice.reason}")
    lines += ["", f"window {format_duration(timing.window)}, checked every "
              f"{format_duration(timing.every)}, {format_duration(timing.delay)} after it ends: "
              f"{timing.reason}"]
    lines += [f"note: {note}" for note in plan.notes]
    lines += ["", f"wrote {rule_path}"]
    if snapshot is not None:
        lines.append(f"wrote {snapshot} ({draft.rows:,} rows: the reference)")
    folder = out.as_posix().rstrip("/") + "/"
    if env:
        names = ", ".join(env)
        lines += ["", f"The rule file reads the database password from {names} (%-encoded, "
                  "as in a URL): export it for every command below."]
    lines += ["", "next:",
              f"  monitor validate {folder}",
              f"  monitor check {folder}      runs the latest complete window once, stores it",
              f"  monitor run {folder}        the daemon: every window from now on, and the "
              "console"]
    lines += _backfill_hint(draft, folder)
    return lines


def _backfill_hint(draft: Draft, folder: str) -> list[str]:
    """When the data ends before the latest complete window, the command that runs its windows."""
    timing = draft.timing
    if timing.first is None or timing.last is None:
        return []
    latest = latest_complete_window(utc_now(), timing.window, timing.delay)
    if timing.last >= latest.start:
        return []
    start = align(timing.first, timing.window)
    end = min(align(timing.last, timing.window) + timing.window, latest.end)
    return ["", f"The data ends at {format_time(timing.last, 'seconds')}, before the latest "
            f"complete window {latest}: `monitor check` finds it empty. To run the windows "
            "the data covers:",
            f"  monitor backfill {folder} --monitor {draft.name} --from "
            f"{format_time(start, 'seconds')} --to {format_time(end, 'seconds')}"]
