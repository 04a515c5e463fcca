"""Rule loading: YAML rule files to a validated ``RuleSet``, every error at ``path:line:col``.

Each file is read into plain data that remembers where each key and value is
written (``document``), within the bounds of ``limits``, and validated by
``schema.validate_file``; each problem's location is mapped back to the
position of the offending key or value. Names are checked across all files
last: monitor and notifier names are unique, and every ``notify`` entry names
a defined notifier. All problems are collected and raised together in one
``RulesInvalid``; no rule file, however written, ends in another exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from monitor.errors import RuleError, RulesInvalid
from monitor.rules.datafiles import missing_files
from monitor.rules.document import RuleDocument
from monitor.rules.schema import NotifierSpec, RuleSet
from monitor.rules.validation import Loc, Problem

__all__ = ["load_rules", "load_rules_with_warnings", "rule_files", "validate_paths"]

_SUFFIXES = (".yaml", ".yml")
_T = TypeVar("_T", dict[str, object], list[object])
_MAX_SUGGESTED = 20  # unknown names given a 'did you mean' (each is compared with every name)
_MAX_CANDIDATES = 1_000
_LISTED = 50  # defined notifiers listed in a message


def load_rules(paths: Sequence[str | Path], env: Mapping[str, str]) -> RuleSet:
    """Load and validate rule files and folders into one RuleSet.

    Args:
        paths: rule files, or folders whose ``*.yaml``/``*.yml`` files are read.
        env: the values for ``${NAME}`` references (the daemon passes os.environ).

    Raises:
        RulesInvalid: with every problem found, each as ``path:line:col: message``.
    """
    documents, errors = _load(paths, env)
    if errors:
        raise RulesInvalid(errors)
    return _merge(documents)


def load_rules_with_warnings(
    paths: Sequence[str | Path], env: Mapping[str, str]
) -> tuple[RuleSet, list[RuleError]]:
    """Load like ``load_rules``, and list the data files the rules name that are missing.

    Each warning is located at the path as written in its rule file. A missing
    file is no error (the data may arrive later), so only ``monitor validate``
    shows them.

    Raises:
        RulesInvalid: with every problem found, each as ``path:line:col: message``.
    """
    documents, errors = _load(paths, env)
    if errors:
        raise RulesInvalid(errors)
    warnings = []
    for document in documents:
        assert document.rule_file is not None  # only valid documents are left
        found = [document.error(Problem(("monitors", i, *missing.loc), missing.message))
                 for i, monitor in enumerate(document.rule_file.monitors)
                 for missing in missing_files(monitor.with_origin(document.path))]
        warnings += sorted(found, key=lambda w: (w.line, w.column))
    return _merge(documents), warnings


def validate_paths(paths: Sequence[str | Path], env: Mapping[str, str]) -> list[RuleError]:
    """Every problem in the given rule files and folders; empty when they are valid."""
    return _load(paths, env)[1]


def rule_files(paths: Sequence[str | Path]) -> list[Path]:
    """The rule files the paths stand for, in load order (watched for hot reload).

    Raises:
        RulesInvalid: a path does not exist, or a folder holds no rule file.
    """
    files, errors = _collect(paths)
    if errors:
        raise RulesInvalid(errors)
    return files


def _collect(paths: Sequence[str | Path]) -> tuple[list[Path], list[RuleError]]:
    files: list[Path] = []
    errors: list[RuleError] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir()
                if p.suffix in _SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
            if not found:
                message = f"no rule files (*.yaml, *.yml) in {path.as_posix()}/"
                errors.append(RuleError(str(path), 0, 0, message))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            message = "no such file or directory: check the path, or create the rule file"
            errors.append(RuleError(str(path), 0, 0, message))
    unique = {p.resolve(): p for p in reversed(files)}  # keep each file's first mention
    return [p for p in files if unique.get(p.resolve()) is p], errors


def _load(
    paths: Sequence[str | Path], env: Mapping[str, str]
) -> tuple[list[RuleDocument], list[RuleError]]:
    """The documents read, and every problem found in them."""
    files, errors = _collect(paths)
    documents = []
    for path in files:
        document = RuleDocument.read(path, env)
        errors += document.errors
        if document.data is not None:
            documents.append(document)
    for document in documents:
        errors += document.validate()
    errors += _check_names(documents)
    order = {str(path): i for i, path in enumerate(files)}
    errors.sort(key=lambda e: (order.get(e.path, -1), e.line, e.column))
    return documents, errors


def _merge(documents: list[RuleDocument]) -> RuleSet:
    notifiers: dict[str, NotifierSpec] = {}
    monitors = []
    for document in documents:
        assert document.rule_file is not None  # only valid documents are merged
        for name, config in document.rule_file.notifiers.items():
            spec = NotifierSpec(name=name, type=config.type, config=config)
            notifiers[name] = spec.with_origin(document.path)
        monitors += [m.with_origin(document.path) for m in document.rule_file.monitors]
    return RuleSet(notifiers=notifiers, monitors=monitors)


def _check_names(documents: list[RuleDocument]) -> list[RuleError]:
    """Cross-file checks: unique names, and ``notify`` entries naming defined notifiers."""
    errors: list[RuleError] = []
    notifiers: dict[str, str] = {}  # name -> path:line of its definition
    monitors: dict[str, str] = {}
    for document in documents:
        for name in _section(document, "notifiers", dict):
            _claim(document, "notifier", name, ("notifiers", name), notifiers, errors)
    defined = _Defined(sorted(notifiers))
    for document in documents:
        for i, monitor in enumerate(_section(document, "monitors", list)):
            if not isinstance(monitor, dict):
                continue
            if isinstance(monitor.get("name"), str):
                loc = ("monitors", i, "name")
                _claim(document, "monitor", monitor["name"], loc, monitors, errors)
            errors += _check_alerts(document, i, monitor.get("alerts"), defined)
    return errors


class _Defined:
    """The notifiers defined in all files, for the ``notify`` entries that name one."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.listed = ", ".join(names[:_LISTED]) or "none"
        if len(names) > _LISTED:
            self.listed += f" and {len(names) - _LISTED} more"
        self._candidates = names[:_MAX_CANDIDATES]
        self._hints: dict[str, str] = {}  # unknown name -> its suggestion

    def unknown(self, name: str) -> str:
        """The message for a name no file defines, with a suggestion for the first few."""
        if name not in self._hints and len(self._hints) < _MAX_SUGGESTED:
            found = difflib.get_close_matches(name, self._candidates, n=1)
            self._hints[name] = f" (did you mean '{found[0]}'?)" if found else ""
        suggestion = self._hints.get(name, "")
        return f"unknown notifier '{name}'{suggestion}; defined notifiers: {self.listed}"


def _check_alerts(
    document: RuleDocument, i: int, alerts: object, defined: _Defined
) -> list[RuleError]:
    """Alert names unique within their monitor; every ``notify`` entry defined somewhere."""
    errors: list[RuleError] = []
    names: dict[str, str] = {}
    for j, alert in enumerate(alerts if isinstance(alerts, list) else []):
        if not isinstance(alert, dict):
            continue
        loc: Loc = ("monitors", i, "alerts", j)
        if isinstance(alert.get("name"), str):
            _claim(document, "alert", alert["name"], (*loc, "name"), names, errors)
        notify = alert.get("notify")
        for k, target in enumerate(notify if isinstance(notify, list) else []):
            if isinstance(target, str) and target not in defined.names:
                problem = Problem((*loc, "notify", k), defined.unknown(target))
                errors.append(document.error(problem))
    return errors


def _claim(
    document: RuleDocument,
    kind: str,
    name: str,
    loc: Loc,
    seen: dict[str, str],
    errors: list[RuleError],
) -> None:
    """Record where a name is defined, or report it as a duplicate of the first one."""
    _, place = document.where(loc)
    line = (place.key or place.node.start_mark).line + 1
    if name in seen:
        problem = Problem(loc, f"{kind} name '{name}' is already used at {seen[name]}")
        errors.append(document.error(problem))
    else:
        seen[name] = f"{document.path}:{line}"


def _section(document: RuleDocument, key: str, kind: type[_T]) -> _T:
    """A top-level section of the raw data, empty when absent or of the wrong shape."""
    data = document.data if isinstance(document.data, dict) else {}
    section = data.get(key)
    return section if isinstance(section, kind) else kind()
