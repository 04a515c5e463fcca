"""Rule loading: YAML rule files to a validated ``RuleSet``, every error at ``path:line:col``.

Each file is parsed with PyYAML's safe loader into its node tree, which keeps
the position of every key and value. While the tree becomes plain data,
duplicate keys are rejected (YAML would silently keep the last one) and
``${NAME}`` references in string values are replaced from the environment
mapping the caller passes. ``${NAME:-default}`` falls back to the default when
NAME is unset or empty, as in the shell; ``$${`` writes a literal ``${``.
Substituted text is never parsed as YAML again, and values taken from the
environment are never shown in an error message.

The data is then validated by ``schema.validate_file``; each problem's
location is mapped back to the position of the offending key or value. Names
are checked across all files last: monitor and notifier names are unique, and
every ``notify`` entry names a defined notifier. All problems are collected
and raised together in one ``RulesInvalid``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.errors import RuleError, RulesInvalid
from monitor.rules.schema import NotifierSpec, RuleFile, RuleSet, validate_file
from monitor.rules.validation import Loc, Problem

__all__ = ["load_rules", "rule_files", "validate_paths"]

_SUFFIXES = (".yaml", ".yml")
_T = TypeVar("_T", dict[str, object], list[object])
_STRING = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_REFERENCE = re.compile(
    r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|\$\{"
)
_SECRET_MIN = 4  # substituted values shorter than this are not hidden in messages


def load_rules(paths: Sequence[str | Path], env: Mapping[str, str]) -> RuleSet:
    """Load and validate rule files and folders into one RuleSet.

    Args:
        paths: rule files, or folders whose ``*.yaml``/``*.yml`` files are read.
        env: the values for ``${NAME}`` references (the daemon passes os.environ).

    Raises:
        RulesInvalid: with every problem found, each as ``path:line:col: message``.
    """
    rules, errors = _load(paths, env)
    if errors or rules is None:
        raise RulesInvalid(errors)
    return rules


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
) -> tuple[RuleSet | None, list[RuleError]]:
    files, errors = _collect(paths)
    documents = []
    for path in files:
        document = _Document.read(path, env)
        errors += document.errors
        if document.data is not None:
            documents.append(document)
    for document in documents:
        document.rule_file, problems = validate_file(document.data)
        errors += [document.error(p) for p in problems if not document.hides(p.loc)]
    errors += _check_names(documents)
    order = {str(path): i for i, path in enumerate(files)}
    errors.sort(key=lambda e: (order.get(e.path, -1), e.line, e.column))
    if errors:
        return None, errors
    return _merge(documents), []


def _merge(documents: list[_Document]) -> RuleSet:
    notifiers: dict[str, NotifierSpec] = {}
    monitors = []
    for document in documents:
        assert document.rule_file is not None  # only valid documents are merged
        for name, config in document.rule_file.notifiers.items():
            spec = NotifierSpec(name=name, type=config.type, config=config)
            notifiers[name] = spec.with_origin(document.path)
        monitors += [m.with_origin(document.path) for m in document.rule_file.monitors]
    return RuleSet(notifiers=notifiers, monitors=monitors)


@dataclass(frozen=True, slots=True)
class _Where:
    """Where one key and its value sit in the YAML text."""

    key: yaml.Mark | None  # None for list items and the document itself
    node: Node


class _Document:
    """One rule file: its data, the position of every key and value, and its errors."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.data: object = None
        self.rule_file: RuleFile | None = None
        self.errors: list[RuleError] = []
        self.places: dict[Loc, _Where] = {}
        self.broken: list[Loc] = []  # values already reported (unset variable, bad tag)
        self.secrets: dict[str, str] = {}  # substituted value -> the ${NAME} it came from
        self._constructor = SafeConstructor()
        self._open: set[int] = set()  # nodes being converted, to stop recursive aliases

    @classmethod
    def read(cls, path: Path, env: Mapping[str, str]) -> _Document:
        """Read and parse one file; problems so far are in ``errors``, data in ``data``."""
        document = cls(path, env)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            document.fail(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return document
        except OSError as exc:
            document.fail(None, f"cannot read the file: {exc.strerror}")
            return document
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            context = f"{exc.context}: " if exc.context else ""
            document.fail(mark, f"invalid YAML: {context}{exc.problem}")
            return document
        except yaml.YAMLError as exc:  # reader errors carry a character position instead
            position = getattr(exc, "position", 0)
            line, column = text.count("\n", 0, position), position - text.rfind("\n", 0, position)
            document.errors.append(RuleError(str(path), line + 1, column, f"invalid YAML: {exc}"))
            return document
        if root is not None:
            document.places[()] = _Where(None, root)
            document.data = document.convert(root, ())
        if document.data is None and not document.errors:  # no content, or a lone null
            document.fail(None, "empty rule file: add 'monitors:' or 'notifiers:', or remove it")
        return document

    def fail(self, mark: yaml.Mark | None, message: str) -> None:
        """Record an error at a position in this file (or at 0:0)."""
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        self.errors.append(RuleError(str(self.path), line, column, self._hide(message)))

    def convert(self, node: Node, loc: Loc) -> object:
        """The plain data of a node, recording positions, substituting ``${NAME}``."""
        if id(node) in self._open:
            self.fail(node.start_mark, "an alias refers to a value that contains it")
            self.broken.append(loc)
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self._item(item, (*loc, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self._mapping(node, loc)
        finally:
            self._open.discard(id(node))

    def _item(self, node: Node, loc: Loc) -> object:
        self.places[loc] = _Where(None, node)
        return self.convert(node, loc)

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, object]:
        out: dict[str, object] = {}
        seen: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.fail(key_node.start_mark, "merge keys ('<<') are not supported: "
                          "write the keys out, or use an alias for a whole value")
                continue
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node.start_mark, "a key must be plain text")
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].line + 1
                self.fail(key_node.start_mark, f"duplicate key '{key}' (first at line {first})")
                continue
            seen[key] = key_node.start_mark
            self.places[(*loc, key)] = _Where(key_node.start_mark, value_node)
            out[key] = self.convert(value_node, (*loc, key))
        return out

    def _scalar(self, node: ScalarNode, loc: Loc) -> object:
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.fail(exc.problem_mark, f"invalid YAML: {exc.problem}")
            self.broken.append(loc)
            return None
        if node.tag != _STRING or "$" not in value:
            return value
        return self._substitute(value, node, loc)

    def _substitute(self, text: str, node: ScalarNode, loc: Loc) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group("name")
            if match.group() == "$${":
                return "${"
            if name is None:
                self.fail(node.start_mark, "'${' starts an environment variable reference, "
                          "such as ${NAME} or ${NAME:-default}; write '$${' for a literal '${'")
                self.broken.append(loc)
                return match.group()
            default = match.group("default")
            if default is not None and not self.env.get(name):
                return default
            if name not in self.env:
                self.fail(node.start_mark, f"environment variable {name} is not set "
                          f"(used in {_dotted(loc)})")
                self.broken.append(loc)
                return match.group()
            value = self.env[name]
            if len(value) >= _SECRET_MIN:
                self.secrets[value] = match.group()
            return value

        return _REFERENCE.sub(replace, text)

    def hides(self, loc: Loc) -> bool:
        """Whether a problem at ``loc`` only follows from a value already reported."""
        return any(loc[: len(b)] == b for b in self.broken)

    def where(self, loc: Loc) -> tuple[Loc, _Where]:
        """The deepest recorded location at or above ``loc``, and its place."""
        while loc not in self.places and loc:
            loc = loc[:-1]
        return loc, self.places[loc]

    def error(self, problem: Problem) -> RuleError:
        """A schema problem as a RuleError at the position of its key or value."""
        found, place = self.where(problem.loc)
        exact = found == problem.loc
        mark = place.key if problem.at_key and exact and place.key else place.node.start_mark
        line, column = mark.line + 1, mark.column + 1
        message = problem.message
        node = place.node
        if problem.quote and exact:
            message += f" (got {_shown(node)})"
        if problem.offset is not None and exact and _one_line(node):
            assert isinstance(node, ScalarNode)
            column += problem.offset + (1 if node.style in ("'", '"') else 0)
        return RuleError(str(self.path), line, column, self._hide(message))

    def _hide(self, message: str) -> str:
        for value, reference in sorted(self.secrets.items(), key=lambda kv: -len(kv[0])):
            message = message.replace(value, reference)
        return message


def _shown(node: Node) -> str:
    """A value as written in the file (so substituted secrets never show)."""
    if isinstance(node, ScalarNode):
        return f"'{node.value}'"
    return "a list" if isinstance(node, SequenceNode) else "a mapping"


def _one_line(node: Node) -> bool:
    return (
        isinstance(node, ScalarNode)
        and node.style in (None, "'", '"')
        and node.start_mark.line == node.end_mark.line
    )


def _dotted(loc: Loc) -> str:
    """``("monitors", 0, "source", "url")`` as ``monitors[0].source.url``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _check_names(documents: list[_Document]) -> list[RuleError]:
    """Cross-file checks: unique names, and ``notify`` entries naming defined notifiers."""
    errors: list[RuleError] = []
    notifiers: dict[str, str] = {}  # name -> path:line of its definition
    monitors: dict[str, str] = {}
    for document in documents:
        for name in _section(document, "notifiers", dict):
            _claim(document, "notifier", name, ("notifiers", name), notifiers, errors)
    for document in documents:
        for i, monitor in enumerate(_section(document, "monitors", list)):
            if not isinstance(monitor, dict):
                continue
            if isinstance(monitor.get("name"), str):
                loc = ("monitors", i, "name")
                _claim(document, "monitor", monitor["name"], loc, monitors, errors)
            errors += _check_alerts(document, i, monitor.get("alerts"), notifiers)
    return errors


def _check_alerts(
    document: _Document, i: int, alerts: object, notifiers: dict[str, str]
) -> list[RuleError]:
    """Alert names unique within their monitor; every ``notify`` entry defined somewhere."""
    errors: list[RuleError] = []
    names: dict[str, str] = {}
    known = ", ".join(sorted(notifiers)) or "none"
    for j, alert in enumerate(alerts if isinstance(alerts, list) else []):
        if not isinstance(alert, dict):
            continue
        loc: Loc = ("monitors", i, "alerts", j)
        if isinstance(alert.get("name"), str):
            _claim(document, "alert", alert["name"], (*loc, "name"), names, errors)
        notify = alert.get("notify")
        for k, target in enumerate(notify if isinstance(notify, list) else []):
            if isinstance(target, str) and target not in notifiers:
                hint = difflib.get_close_matches(target, sorted(notifiers), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                message = f"unknown notifier '{target}'{suggestion}; defined notifiers: {known}"
                errors.append(document.error(Problem((*loc, "notify", k), message)))
    return errors


def _claim(
    document: _Document,
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


def _section(document: _Document, key: str, kind: type[_T]) -> _T:
    """A top-level section of the raw data, empty when absent or of the wrong shape."""
    data = document.data if isinstance(document.data, dict) else {}
    section = data.get(key)
    return section if isinstance(section, kind) else kind()
