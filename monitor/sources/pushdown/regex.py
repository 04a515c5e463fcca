"""Python regular expressions as each database's: ``re.search`` semantics, or ``Unpushable``.

A ``pattern`` or ``format`` check means ``re.search(regex, text)``. Each
database reads a regular expression its own way, so the pattern is
rewritten where a meaning differs, and refused where no rewrite is sure:

================  =======================  =========================  ===================
Python            PostgreSQL ``~`` (ARE)   MariaDB ``REGEXP`` (PCRE)  rewritten as
================  =======================  =========================  ===================
``$``: the end,   the end only             as Python                  ``\\n?$`` (last) or
or before a                                                           ``(?=\\n?$)``
final newline                                                         (PostgreSQL)
``.``: not a      any character            as Python                  ``[^\\n]``
newline                                                               (PostgreSQL)
``\\s``: Unicode   ASCII, or by locale      no U+001C..U+001F          the characters
whitespace                                                            themselves
``\\Z``            as Python                before a final newline     ``\\z`` (MariaDB)
case              sensitive                by collation               ``(?-i)`` (MariaDB)
================  =======================  =========================  ===================

Refused (the checks read the column instead): ``\\d``, ``\\w``, ``\\b`` and
their negations (Unicode in Python, narrower in the databases), ``\\S``
inside brackets, numeric and named escapes, inline flags, named groups,
atomic groups, possessive quantifiers, ``{,n}``, nested brackets, and, on
PostgreSQL, anything it refuses to compile (tried in a savepoint). SQLite
runs Python's ``re.search`` itself (SQLAlchemy registers it); MySQL (ICU) is
not rewritten for.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from monitor.sources.pushdown.dialect import Unpushable

__all__ = ["WHITESPACE", "search", "translate", "validate"]

WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""What Python's ``\\s`` matches in text (the characters ``str.isspace`` names), written out
in brackets for the databases."""
_SAME_ESCAPES = frozenset("nrtfvaA")
_REFUSED_ESCAPES = frozenset("dDwWbBxuUN0123456789")


def search(value: sa.ColumnElement[Any], pattern: str,
           dialect: sa.engine.Dialect) -> sa.ColumnElement[bool]:
    """Whether ``pattern`` is found in the text, as ``re.search`` finds it.

    Raises:
        Unpushable: the database would read the pattern otherwise.
    """
    if dialect.name == "sqlite":
        return sa.cast(value, sa.Text()).regexp_match(pattern)
    return value.regexp_match(translate(pattern, dialect))


def translate(pattern: str, dialect: sa.engine.Dialect) -> str:
    """The pattern in the database's reading (see the table above).

    >>> from sqlalchemy.dialects import postgresql
    >>> translate(r"^a.c$", postgresql.dialect()) == "^a[^\\n]c\\n?$"
    True
    """
    mariadb = dialect.name in ("mysql", "mariadb") and getattr(dialect, "is_mariadb", False)
    if dialect.name != "postgresql" and not mariadb:
        raise Unpushable(f"{dialect.name} reads regular expressions otherwise")
    return _Translator(pattern, postgres=not mariadb).run()


def validate(conn: sa.Connection, pattern: str) -> None:
    """Compile the translated pattern once in the database (in a savepoint).

    Raises:
        Unpushable: the database refuses it.
    """
    probe = sa.select(search(sa.literal(""), pattern, conn.dialect))
    try:
        with conn.begin_nested():
            conn.execute(probe)
    except DBAPIError as exc:
        raise Unpushable(f"{conn.dialect.name} cannot read the regular expression "
                         f"{pattern!r}") from exc


class _Translator:
    def __init__(self, pattern: str, *, postgres: bool) -> None:
        self.p, self.postgres = pattern, postgres
        self.out: list[str] = [] if postgres else ["(?-i)"]
        self.i = 0
        self.in_class = False
        self.class_start = 0

    def run(self) -> str:
        while self.i < len(self.p):
            c = self.p[self.i]
            if c == "\\":
                self.escape()
            elif self.in_class:
                self.inside(c)
            else:
                self.outside(c)
        if self.in_class:
            raise Unpushable("an unclosed bracket")
        return "".join(self.out)

    def escape(self) -> None:
        if self.i + 1 >= len(self.p):
            raise Unpushable("a trailing backslash")
        e = self.p[self.i + 1]
        self.i += 2
        if e in _REFUSED_ESCAPES:
            raise Unpushable(f"\\{e} reads other characters in the database")
        if e == "s":
            self.out.append(WHITESPACE if self.in_class else f"[{WHITESPACE}]")
        elif e == "S" and not self.in_class:
            self.out.append(f"[^{WHITESPACE}]")
        elif e == "Z" and not self.in_class:
            self.out.append("\\Z" if self.postgres else "\\z")
        elif e in _SAME_ESCAPES or not e.isalnum():
            self.out.append("\\" + e)
        else:
            raise Unpushable(f"the escape \\{e}")

    def inside(self, c: str) -> None:
        if c == "[":
            raise Unpushable("'[' inside brackets")
        if c == "]" and self.i >= self.class_start:
            self.in_class = False
        self.out.append(c)
        self.i += 1

    def outside(self, c: str) -> None:
        rest = self.p[self.i + 1:]
        if c == "[":
            self.in_class = True
            skip = 1 + (rest[:1] == "^")
            self.class_start = self.i + skip + (self.p[self.i + skip:self.i + skip + 1] == "]")
            self.out.append(self.p[self.i:self.class_start])
            self.i = self.class_start
            return
        if c == "(" and rest[:1] == "?":
            group = rest[1:3]
            allowed = (":", "=", "!", "<=", "<!")
            if not any(group.startswith(a) for a in allowed) and not (
                    not self.postgres and group[:2] == "P<"):
                raise Unpushable(f"the group '(?{group}'")
        if c == "{" and rest[:1] == ",":
            raise Unpushable("a '{,n}' repetition")
        if c in "*+?}" and rest[:1] == "+":
            raise Unpushable("a possessive repetition")
        if c == "." and self.postgres:
            self.out.append("[^\n]")
        elif c == "$" and self.postgres:
            self.out.append("\n?$" if not rest else "(?=\n?$)")
        else:
            self.out.append(c)
        self.i += 1
