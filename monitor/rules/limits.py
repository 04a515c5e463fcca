"""Bounds on one rule document, so that no rule file can hang or exhaust the loader.

A rule file is a few kilobytes; these limits sit far above that and refuse
only documents no operator writes by hand, such as a YAML "billion laughs"
(a few hundred bytes of nested aliases that expand to billions of values) or
thousands of nested brackets (which would exhaust the stack):

- ``MAX_FILE_BYTES``: the size of the file;
- ``MAX_DEPTH``: how deeply values nest, aliases expanded;
- ``MAX_ALIASES``: how many aliases (``*name``) the file uses;
- ``MAX_VALUES`` and ``MAX_TEXT``: how many values (keys included) and how
  many characters of text the document holds once every alias is expanded.

``BoundedLoader`` is PyYAML's safe loader, counting while it composes the
node tree: it stops at the first node past a limit, before anything is
expanded, with ``LimitExceeded`` at that node's position.
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node, ScalarNode

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_TEXT",
    "MAX_VALUES",
    "BoundedLoader",
    "LimitExceeded",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
"""The largest rule file, in bytes (2 MiB)."""

MAX_DEPTH = 64
"""How deeply values may nest (the top mapping is level 1), aliases expanded."""

MAX_ALIASES = 1_000
"""How many times one file may use an alias (``*name``)."""

MAX_VALUES = 50_000
"""How many values (mappings, lists, keys, scalars) a document may hold, aliases expanded.

About a thousand monitors of the README's size: parsing that many takes seconds.
"""

MAX_TEXT = MAX_FILE_BYTES
"""How many characters of text a document may hold, aliases expanded."""


class LimitExceeded(yaml.YAMLError):
    """A document past one of the limits; ``mark`` is where the offending node starts."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


_LEAF = (1, 0, 1)  # an alias to a node still being composed: the loader reports the loop


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents past the limits of this module.

    It keeps running totals of the document as composed so far, each alias
    counted with the size of the value it stands for (recorded once, for
    anchored values only), so a limit is met at the first node past it.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0  # of the node being composed
        self._deepest = 0  # the deepest level reached, aliases expanded
        self._aliases = 0
        self._values = 0
        self._text = 0
        self._sizes: dict[int, tuple[int, int, int]] = {}  # anchored node id: values, text, depth

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node (PyYAML's hook), counting aliases, depth and expanded size."""
        alias = self.check_event(AliasEvent)  # also makes the next event current
        event = self.current_event
        mark: yaml.Mark = event.start_mark
        if alias:
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise LimitExceeded(mark, f"too many aliases: a rule file may use at most "
                                    f"{MAX_ALIASES} ('*name'); write the values out")
            node = super().compose_node(parent, index)
            if node is not None:
                values, text, depth = self._sizes.get(id(node), _LEAF)
                self._grow(values, text, self._depth + depth, mark, alias=True)
            return node
        self._depth += 1
        anchored = event.anchor is not None
        values, text, outer = self._values, self._text, self._deepest
        if anchored:
            self._deepest = self._depth
        try:
            self._grow(1, 0, self._depth, mark, alias=False)
            node = super().compose_node(parent, index)
            if isinstance(node, ScalarNode):
                self._grow(0, len(node.value), self._depth, mark, alias=False)
            if anchored and node is not None:
                self._sizes[id(node)] = (self._values - values, self._text - text,
                                         self._deepest - self._depth + 1)
        finally:
            self._depth -= 1
            self._deepest = max(self._deepest, outer)
        return node

    def _grow(self, values: int, text: int, depth: int, mark: yaml.Mark, *, alias: bool) -> None:
        """Add a node (an alias: its value) to the running totals; refuse it past a limit."""
        self._values += values
        self._text += text
        self._deepest = max(self._deepest, depth)
        expanded = " once its aliases are expanded" if alias or self._aliases else ""
        if depth > MAX_DEPTH:
            through = " once its aliases are expanded" if alias else ""
            raise LimitExceeded(mark, f"values nested too deeply{through}: at most "
                                f"{MAX_DEPTH} levels")
        if self._values > MAX_VALUES:
            raise LimitExceeded(mark, f"too many values: a rule file may hold at most "
                                f"{MAX_VALUES}{expanded}; split it into several files")
        if self._text > MAX_TEXT:
            raise LimitExceeded(mark, f"too much text: a rule file may hold at most "
                                f"{MAX_TEXT} characters{expanded}")
