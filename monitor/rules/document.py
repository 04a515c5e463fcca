"""One rule file read into plain data that remembers where every key and value is written.

The file is read within ``limits`` and parsed with PyYAML's safe loader
(``limits.BoundedLoader``) into its node tree, which keeps the position of
every key and value. While the tree becomes plain data, duplicate keys are
rejected (YAML would silently keep the last one) and ``${NAME}`` references
in string values are replaced from the environment mapping the caller
passes. ``${NAME:-default}`` falls back to the default when NAME is unset or
empty, as in the shell; ``$${`` writes a literal ``${``. Substituted text is
never parsed as YAML again, and values taken from the environment are never
shown in an error message.

Every problem becomes a ``RuleError`` at ``path:line:column``: a schema
``Problem`` is mapped back to the position of its key or value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.errors import RuleError
from monitor.rules.limits import MAX_FILE_BYTES, BoundedLoader, LimitExceeded
from monitor.rules.schema import RuleFile, validate_file
from monitor.rules.validation import Loc, Problem

__all__ = ["FAULTS", "RuleDocument"]

FAULTS = (RecursionError, OverflowError, ValueError)
"""What a hostile value could still raise past the checks: reported, never a traceback."""

_STRING = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# A default stops at the next '${' too, so that text full of unclosed '${' is read in
# linear time (a default reaching to the next '}' would rescan the text from each one).
_REFERENCE = re.compile(
    r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>(?:[^}$]|\$(?!\{))*))?\}"
    r"|\$\{"
)
_SECRET_MIN = 4  # substituted values shorter than this are not hidden in messages
_SHOWN = 60  # characters of a value quoted in a message
_MAX_MESSAGE = 1_000
_SURROGATE = re.compile("[\ud800-\udfff]")  # escapes can write them; no encoder takes them
# Values quoted in a message may hold line breaks or terminal escapes: show them escaped.
_ESCAPES = {c: repr(chr(c))[1:-1] for c in [*range(32), *range(127, 160), 0x2028, 0x2029]
            if c != ord("\t")}


@dataclass(frozen=True, slots=True)
class _Where:
    """Where one key and its value sit in the YAML text."""

    key: yaml.Mark | None  # None for list items and the document itself
    node: Node


class RuleDocument:
    """One rule file: its data, the position of every key and value, and its errors."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.data: object = None
        self.rule_file: RuleFile | None = None
        self.errors: list[RuleError] = []
        self.places: dict[Loc, _Where] = {}
        self.broken: set[Loc] = set()  # values already reported (unset variable, bad tag)
        self.secrets: dict[str, str] = {}  # substituted value -> the ${NAME} it came from
        self._constructor = SafeConstructor()
        self._open: set[int] = set()  # nodes being converted, to stop recursive aliases

    @classmethod
    def read(cls, path: Path, env: Mapping[str, str]) -> RuleDocument:
        """Read and parse one file; problems so far are in ``errors``, data in ``data``."""
        document = cls(path, env)
        text = document._text()
        if text is None:
            return document
        root = document._compose(text)
        if document.errors:
            return document
        if root is not None:
            document.places[()] = _Where(None, root)
            try:
                document.data = document.convert(root, ())
            except FAULTS as exc:
                document.data = None
                document.errors.append(document.fault(exc))
        if document.data is None and not document.errors:  # no content, or a lone null
            document.fail(None, "empty rule file: add 'monitors:' or 'notifiers:', or remove it")
        return document

    def _compose(self, text: str) -> Node | None:
        """The text's node tree (None for an empty document); on failure, an error instead."""
        loader: BoundedLoader | None = None
        try:
            loader = BoundedLoader(text)  # checks every character first
            return loader.get_single_node()
        except LimitExceeded as exc:
            self.fail(exc.mark, exc.message)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            context = f"{exc.context}: " if exc.context else ""
            self.fail(mark, f"invalid YAML: {context}{exc.problem}")
        except yaml.reader.ReaderError as exc:  # a character position instead of a mark
            position = exc.position
            line, column = text.count("\n", 0, position), position - text.rfind("\n", 0, position)
            message = f"invalid YAML: unacceptable character #x{exc.character:04x}: {exc.reason}"
            self.errors.append(RuleError(str(self.path), line + 1, column, message))
        except yaml.YAMLError as exc:  # no parser error is left; kept so none is a traceback
            self.fail(None, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        except FAULTS:  # such as '%YAML 1.<5000 digits>' or a '\\UFFFFFFFF' escape
            self.fail(loader.get_mark() if loader else None, "invalid YAML: a number or an "
                      "escape sequence here is out of range")
        finally:
            if loader is not None:
                loader.dispose()
        return None

    def _text(self) -> str | None:
        """The file's text, read within ``MAX_FILE_BYTES``; None (and an error) if it cannot be."""
        try:
            with self.path.open("rb") as file:
                data = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.fail(None, f"cannot read the file: {exc.strerror}")
            return None
        if len(data) > MAX_FILE_BYTES:
            self.fail(None, f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, "
                      "the most a rule file may be: split it into several files")
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.fail(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return None
        return text.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it

    def validate(self) -> list[RuleError]:
        """Check the data against the schema: the errors (``rule_file`` is set when none)."""
        try:
            self.rule_file, problems = validate_file(self.data)
        except FAULTS as exc:
            self.rule_file = None
            return [self.fault(exc)]
        return [self.error(p) for p in problems if not self.hides(p.loc)]

    def fault(self, exc: BaseException) -> RuleError:
        """A value no check caught, reported at the start of the document."""
        root = self.places.get(())
        mark = root.node.start_mark if root else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        detail = str(exc)[:_SHOWN] or type(exc).__name__
        message = f"the rule file cannot be checked: a value is out of bounds ({detail})"
        return RuleError(str(self.path), line, column, self._hide(message))

    def fail(self, mark: yaml.Mark | None, message: str) -> None:
        """Record an error at a position in this file (or at 0:0)."""
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        self.errors.append(RuleError(str(self.path), line, column, self._hide(message)))

    def convert(self, node: Node, loc: Loc) -> object:
        """The plain data of a node, recording positions, substituting ``${NAME}``."""
        if id(node) in self._open:
            self.fail(node.start_mark, "an alias refers to a value that contains it")
            self.broken.add(loc)
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
            if not isinstance(key_node, ScalarNode) or _SURROGATE.search(key_node.value):
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
            self.broken.add(loc)
            return None
        except (ValueError, OverflowError) as exc:  # a number too long, a date such as 2026-13-01
            self._constructor.recursive_objects.clear()  # left behind by the failed node
            self.fail(node.start_mark, _bad_scalar(node, exc))
            self.broken.add(loc)
            return None
        if node.tag == _STRING and "$" in value:
            value = self._substitute(value, node, loc)
        if isinstance(value, str) and _SURROGATE.search(value):  # from an escape or ${NAME}
            self.fail(node.start_mark, "the text holds a lone surrogate (such as \\ud800), "
                      "which is not Unicode text: remove it")
            self.broken.add(loc)
            return None
        return value

    def _substitute(self, text: str, node: ScalarNode, loc: Loc) -> str:
        reported: set[str | None] = set()  # each problem once per value, however often written

        def report(name: str | None, message: str) -> None:
            if name not in reported:
                reported.add(name)
                self.fail(node.start_mark, message)
            self.broken.add(loc)

        def replace(match: re.Match[str]) -> str:
            name = match.group("name")
            if match.group() == "$${":
                return "${"
            if name is None:
                report(None, "'${' starts an environment variable reference, such as ${NAME} "
                       "or ${NAME:-default}; write '$${' for a literal '${'")
                return match.group()
            default = match.group("default")
            if default is not None and not self.env.get(name):
                return default
            if name not in self.env:
                report(name, f"environment variable {name} is not set (used in {_dotted(loc)})")
                return match.group()
            value = self.env[name]
            if len(value) >= _SECRET_MIN:
                self.secrets[value] = match.group()
            return value

        return _REFERENCE.sub(replace, text)

    def hides(self, loc: Loc) -> bool:
        """Whether a problem at ``loc`` only follows from a value already reported."""
        return any(loc[:i] in self.broken for i in range(len(loc) + 1))

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
        """The message without substituted secrets, on one line of printable text."""
        for value, reference in sorted(self.secrets.items(), key=lambda kv: -len(kv[0])):
            message = message.replace(value, reference)
        if len(message) > _MAX_MESSAGE:  # a long value quoted whole
            message = message[:_MAX_MESSAGE] + "..."
        return message.translate(_ESCAPES)


def _shown(node: Node) -> str:
    """A value as written in the file (so substituted secrets never show), long ones cut."""
    if isinstance(node, ScalarNode):
        text = node.value if len(node.value) <= _SHOWN else node.value[:_SHOWN] + "..."
        return f"'{text}'"
    return "a list" if isinstance(node, SequenceNode) else "a mapping"


def _bad_scalar(node: ScalarNode, exc: Exception) -> str:
    """What is wrong with a value YAML reads as a number or a date but cannot build."""
    if node.tag.endswith(":int"):
        return f"the number {_shown(node)} is too long: write at most a few digits"
    if node.tag.endswith(":timestamp"):
        return f"invalid date or time {_shown(node)}: {exc}; quote it if it is text"
    return f"invalid value {_shown(node)}: {exc}"


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


