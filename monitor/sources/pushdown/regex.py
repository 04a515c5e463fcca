"""Python regular expressions as each database's: ``re.search`` semantics, or ``Unpushable``.

A ``pattern`` or ``format`` check means ``re.search(regex, text)``. Each
database reads a regular expression its own way, so the pattern is
rewritten where a meaning differs, and refused where no rewrite is sure:

- ``$`` (the end, or before a final newline): PostgreSQL's ARE and RE2 (DuckDB) read the
  end only: ``\\n?$`` when last, ``(?=\\n?$)`` elsewhere on PostgreSQL, refused
  elsewhere on RE2 (no look-ahead); MariaDB's PCRE reads it as Python;
- ``.`` (not a newline): PostgreSQL's matches any character: ``[^\\n]``;
- ``\\s`` (Unicode whitespace): ASCII or by locale in PostgreSQL and RE2, without
  U+001C..U+001F in PCRE: the characters themselves, written out;
- ``\\Z`` (the very end): before a final newline in PCRE, unknown to RE2: ``\\z``;
- case: MariaDB's follows the collation: ``(?-i)``;
- look-arounds: none in RE2: refused there.

Refused (the checks read the column instead): ``\\d``, ``\\w``, ``\\b`` and
their negations (Unicode in Python, narrower in the databases), ``\\S``
inside brackets, numeric and named escapes, inline flags, named groups
(on PostgreSQL), atomic groups, possessive quantifiers, ``{,n}``, nested
brackets, and anything the database refuses to compile (tried once).
SQLite runs Python's ``re.search`` itself (SQLAlchemy registers it); MySQL
(ICU) is not rewritten for. Which database reads which flavour is its
class's business (``monitor.sources.pushdown.dialects``); ``search``, ``translate`` and
``validate`` in ``monitor.sources.pushdown.dialect`` ask it.
"""

from __future__ import annotations

from typing import Literal

from monitor.sources.pushdown.unpushable import Unpushable

__all__ = ["WHITESPACE", "Flavour", "translate_for"]

Flavour = Literal["postgresql", "mariadb", "re2"]

WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""What Python's ``\\s`` matches in text (the characters ``str.isspace`` names), written out
in brackets for the databases."""
_SAME_ESCAPES = frozenset("nrtfvaA")
_REFUSED_ESCAPES = frozenset("dDwWbBxuUN0123456789")


def translate_for(pattern: str, flavour: Flavour) -> str:
    """The pattern rewritten for one flavour of regular expressions (the table above)."""
    return _Translator(pattern, flavour).run()


class _Translator:
    def __init__(self, pattern: str, flavour: Flavour) -> None:
        self.p, self.flavour = pattern, flavour
        self.postgres = flavour == "postgresql"
        self.out: list[str] = ["(?-i)"] if flavour == "mariadb" else []
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
            allowed = (":",) if self.flavour == "re2" else (":", "=", "!", "<=", "<!")
            if not any(group.startswith(a) for a in allowed) and not (
                    not self.postgres and group[:2] == "P<"):
                raise Unpushable(f"the group '(?{group}'")
        if c == "{" and rest[:1] == ",":
            raise Unpushable("a '{,n}' repetition")
        if c in "*+?}" and rest[:1] == "+":
            raise Unpushable("a possessive repetition")
        if c == "." and self.postgres:
            self.out.append("[^\n]")
        elif c == "$" and self.flavour != "mariadb":
            if rest and not self.postgres:
                raise Unpushable("'$' before the end of the pattern (RE2 has no look-ahead)")
            self.out.append("\n?$" if not rest else "(?=\n?$)")
        else:
            self.out.append(c)
        self.i += 1
