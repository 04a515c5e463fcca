"""Templates: the ``{{ name }}`` text of alert labels and annotations.

A template is plain text with fields in double braces: ``{{ monitor }}``,
``{{ value }}``, ``{{ top_columns }}``, ``{{ performance.roc_auc }}``; a
number may carry a Python format spec, ``{{ value:.1% }}``. Templates are
parsed once, when rules load, and every name is checked then; rendering only
substitutes values, so it cannot fail. Nothing is evaluated: a field is a
name, never an expression.

Labels identify an alert, so their templates may only use the names that do
not change from one window to the next (``IDENTITY_NAMES``); annotations may
use every name of the message (``MESSAGE_NAMES``) and any metric.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.rules.metric_names import column_metric, metric_problem

__all__ = ["IDENTITY_NAMES", "MESSAGE_NAMES", "Template", "TemplateError", "parse_template"]

IDENTITY_NAMES: frozenset[str] = frozenset({"alert", "monitor", "segment", "severity"})
"""Names a label template may use: they identify the alert instance."""

MESSAGE_NAMES: frozenset[str] = IDENTITY_NAMES | {
    "error", "reason", "status", "summary", "top_columns", "value", "window_end", "window_start",
}
"""Names an annotation template may use, besides every metric."""

_TEXT_NAMES = frozenset({"alert", "monitor", "segment", "severity", "error", "reason", "status",
                         "summary", "top_columns", "window_end", "window_start"})
_NAME = re.compile(r'\s*(?:column\("(?P<column>[^"]+)"\)\.(?P<stat>\w+)|(?P<name>[\w.]+))'
                   r"\s*(?::(?P<spec>[^}]*?))?\s*$")
MISSING = "n/a"
_MAX_WIDTH = 100
_MAX_FIELD = 256  # characters between '{{' and '}}'; the name pattern is slow on long text


class TemplateError(ValueError):
    """A template that cannot be parsed; ``offset`` is the 0-based position of the problem."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    spec: str


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and fields, in order."""

    text: str
    parts: tuple[str | _Field, ...]

    @property
    def names(self) -> frozenset[str]:
        """The names the template reads."""
        return frozenset(p.name for p in self.parts if isinstance(p, _Field))

    def render(self, values: Mapping[str, object]) -> str:
        """Substitute ``values``; a name without a value (or None, NaN) shows as ``n/a``.

        >>> parse_template("{{ monitor }}: {{ value:.0% }} drifted").render(
        ...     {"monitor": "credit", "value": 0.42})
        'credit: 42% drifted'
        """
        return "".join(p if isinstance(p, str) else _show(values.get(p.name), p.spec)
                       for p in self.parts)

    def __str__(self) -> str:
        return self.text


def parse_template(text: str, *, identity_only: bool = False) -> Template:
    """Parse a template, checking every name; ``identity_only`` for label templates.

    Raises:
        TemplateError: an unclosed field, an unknown name, a name a label may
            not use, or a bad format spec, with its position.
    """
    parts: list[str | _Field] = []
    position = 0
    while (start := text.find("{{", position)) >= 0:  # find, not a regex: linear on any text
        end = text.find("}}", start + 2)
        body = text[start + 2:end]
        if end < 0 or "\n" in body:
            raise TemplateError("'{{' is not closed: write '{{ name }}'", start)
        parts.append(text[position:start])
        parts.append(_field(body, start + 2, identity_only))
        position = end + 2
    parts.append(text[position:])
    return Template(text, tuple(p for p in parts if p != ""))


def _field(body: str, offset: int, identity_only: bool) -> _Field:
    at = offset + len(body) - len(body.lstrip())
    if len(body) > _MAX_FIELD:
        raise TemplateError(f"a field is at most {_MAX_FIELD} characters: write a name such as "
                            "'{{ monitor }}', optionally with a number format", at)
    match = _NAME.match(body)
    if not body.strip() or match is None:
        raise TemplateError(
            f"'{{{{{body}}}}}' is not a name: write a name such as '{{{{ monitor }}}}', "
            "optionally with a number format such as '{{ value:.2f }}'", offset - 2)
    name = match.group("name") or column_metric(match.group("column"), match.group("stat"))
    spec = (match.group("spec") or "").strip()
    _check_name(name, at, identity_only)
    if spec:
        _check_spec(name, spec, at)
    return _Field(name, spec)


def _check_name(name: str, at: int, identity_only: bool) -> None:
    if identity_only:
        if name not in IDENTITY_NAMES:
            raise TemplateError(
                f"labels identify an alert, so they may only use {_listed(IDENTITY_NAMES)}; "
                f"'{name}' changes from window to window: put it in an annotation", at)
        return
    if name in MESSAGE_NAMES:
        return
    problem = metric_problem(name)
    if problem is not None:
        hint = difflib.get_close_matches(name, sorted(MESSAGE_NAMES), n=1)
        if hint and "." not in name:
            problem = f"unknown name '{name}' (did you mean '{hint[0]}'?)"
        raise TemplateError(f"{problem}; template names: {_listed(MESSAGE_NAMES)}", at)


def _check_spec(name: str, spec: str, at: int) -> None:
    if name in _TEXT_NAMES:
        raise TemplateError(f"'{name}' is text: only numbers take a format such as ':.2f'", at)
    if any(len(digits) > len(str(_MAX_WIDTH)) or int(digits) > _MAX_WIDTH
           for digits in re.findall(r"\d+", spec)):
        # A width or precision of millions would build a text of that size at each message.
        raise TemplateError(
            f"number format ':{spec}' for '{name}' is too wide: widths and precisions go up "
            f"to {_MAX_WIDTH}", at)
    try:
        format(1.5, spec)
    except ValueError:
        raise TemplateError(
            f"invalid number format ':{spec}' for '{name}': use one such as ':.2f', ':.1%' "
            "or ':g'", at) from None


def _listed(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))


def _show(value: object, spec: str) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return MISSING
        if spec:
            return format(number, spec)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.4g}"
    return str(value)
