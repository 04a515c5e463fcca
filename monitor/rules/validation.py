"""Validation problems located in a rule file, and plugin blocks checked against their kind.

A ``Problem`` says what is wrong at a place given by keys and list indexes
(``("monitors", 0, "window")``); the loader turns places into
``path:line:column``. ``plugin_block`` checks a monitor's ``source:`` block or
a ``notifiers:`` entry in two phases: the block must name a ``type``, then the
whole block is validated against that kind's own ``Config`` model, found
through the plugin registry. ``problems_of`` words pydantic's errors for an
operator: unknown keys with a suggestion, missing keys, wrong types.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ValidationError

from monitor import plugins
from monitor.alerts.notifiers.base import Notifier
from monitor.errors import PluginError
from monitor.sources.base import Source

__all__ = ["Loc", "PluginLookup", "Problem", "plugin_block", "plugin_config", "problems_of"]

Loc = tuple[str | int, ...]
"""A place in a rule file: keys and list indexes from the top."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, located by keys and list indexes within a rule file.

    Attributes:
        loc: where, such as ``("monitors", 0, "window")``; a missing key's
            location names the key, whose parent exists.
        message: what is wrong and what to do.
        at_key: point at the key itself (an unknown or badly named key).
        quote: the message should be followed by the value as written.
        offset: character offset of the problem inside a string value.
    """

    loc: Loc
    message: str
    at_key: bool = False
    quote: bool = False
    offset: int | None = None


def plugin_config(kind: Literal["source", "notifier"], type_name: str) -> type[BaseModel]:
    """The pydantic ``Config`` model of a source or notifier kind, from the plugin registry.

    Raises:
        PluginError: the kind is unknown or its plugin is broken.
    """
    # mypy rejects abstract classes as type[T] arguments, though load() only checks subclasses.
    if kind == "source":
        return plugins.load(plugins.SOURCES, type_name, Source).Config  # type: ignore[type-abstract]
    return plugins.load(plugins.NOTIFIERS, type_name, Notifier).Config  # type: ignore[type-abstract]


class PluginLookup:
    """Plugin kinds looked up once per rule file, since each registry lookup scans packages.

    A file naming the same kind in thousands of blocks stays as fast to check
    as one naming it once.
    """

    def __init__(self) -> None:
        self._configs: dict[tuple[str, str], type[BaseModel] | PluginError] = {}
        self._known: dict[str, str] = {}

    def config(self, kind: Literal["source", "notifier"], type_name: str) -> type[BaseModel]:
        """The kind's ``Config`` model, as ``plugin_config`` finds it.

        Raises:
            PluginError: the kind is unknown or its plugin is broken.
        """
        key = (kind, type_name)
        if key not in self._configs:
            try:
                self._configs[key] = plugin_config(kind, type_name)
            except PluginError as exc:
                self._configs[key] = exc
        found = self._configs[key]
        if isinstance(found, PluginError):
            raise found
        return found

    def kinds(self, kind: Literal["source", "notifier"]) -> str:
        """The installed kinds, listed for a message."""
        if kind not in self._known:
            group = plugins.SOURCES if kind == "source" else plugins.NOTIFIERS
            self._known[kind] = ", ".join(plugins.known(group)) or "none installed"
        return self._known[kind]


def plugin_block(
    kind: Literal["source", "notifier"],
    block: object,
    loc: Loc,
    lookup: PluginLookup | None = None,
) -> tuple[Any, list[Problem]]:
    """The block validated against its kind's ``Config`` (None when invalid), and its problems."""
    lookup = lookup or PluginLookup()
    if not isinstance(block, dict):
        message = (f"expected a mapping with a 'type' key naming the {kind} kind (one of: "
                   f"{lookup.kinds(kind)})")
        return None, [Problem(loc, message, quote=True)]
    if "type" not in block:
        message = f"missing required key 'type' (one of: {lookup.kinds(kind)})"
        return None, [Problem((*loc, "type"), message)]
    if not isinstance(block["type"], str):
        message = f"expected a {kind} kind: one of {lookup.kinds(kind)}"
        return None, [Problem((*loc, "type"), message, quote=True)]
    try:
        config_cls = lookup.config(kind, block["type"])
    except PluginError as exc:
        return None, [Problem((*loc, "type"), exc.message)]
    try:
        return config_cls.model_validate(block), []
    except ValidationError as exc:
        return None, problems_of(exc, config_cls, loc)


_TYPE_MESSAGES = {
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "list_type": "expected a list",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


_BOUND_MESSAGES = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "finite_number": "expected a finite number (not .inf or .nan)",
}


def problems_of(error: ValidationError, model: type[BaseModel], prefix: Loc) -> list[Problem]:
    """Turn pydantic's errors into Problems located under ``prefix``."""
    found = []
    for err in error.errors(include_url=False):
        loc, kind, ctx = tuple(err["loc"]), err["type"], err.get("ctx", {})
        at_key = bool(loc) and loc[-1] == "[key]"
        loc = loc[:-1] if at_key else loc
        if kind == "extra_forbidden":
            message = _unknown_key(str(loc[-1]), _keys_at(model, loc[:-1]))
            found.append(Problem((*prefix, *loc), message, at_key=True))
        elif kind == "missing":
            found.append(Problem((*prefix, *loc), f"missing required key '{loc[-1]}'"))
        elif kind == "expression":
            found.append(Problem((*prefix, *loc), ctx["message"], offset=ctx["offset"]))
        elif kind in ("value_error", "assertion_error"):
            found.append(Problem((*prefix, *loc), str(ctx["error"]), at_key=at_key))
        elif kind in _BOUND_MESSAGES:
            message = _BOUND_MESSAGES[kind].format(**ctx)
            found.append(Problem((*prefix, *loc), message, at_key=at_key, quote=True))
        else:
            message = _TYPE_MESSAGES.get(kind, err["msg"])
            found.append(Problem((*prefix, *loc), message, at_key=at_key, quote=True))
    return found


def _unknown_key(key: str, allowed: list[str]) -> str:
    hint = difflib.get_close_matches(key, allowed, n=1)
    if hint:
        return f"unknown key '{key}' (did you mean '{hint[0]}'?)"
    return f"unknown key '{key}'; allowed keys: {', '.join(allowed) or 'none'}"


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model allows at ``loc``, found by walking its field types."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            if part not in fields:
                return []
            tp = fields[part].annotation
        elif typing.get_origin(tp) in (list, dict):
            tp = typing.get_args(tp)[-1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from a type."""
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
            continue
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
            tp = args[0]
            continue
        return tp
