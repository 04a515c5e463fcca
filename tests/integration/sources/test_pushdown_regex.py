"""Regular expressions in the databases find what Python's ``re.search`` finds, or are refused.

Each pattern runs in SQLite, PostgreSQL, MariaDB and DuckDB against texts chosen
where the readings differ (a final newline, a newline in the middle, Unicode
whitespace, case, trailing spaces); the answer must be ``re.search``'s. The
patterns a database would read otherwise raise ``Unpushable``, so their
checks read the column instead.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from monitor.checks.plan import FORMATS
from monitor.sources.pushdown.dialect import Unpushable, search, translate, validate
from monitor.sources.pushdown.regex import WHITESPACE
from tests.integration.sources.checkdbs import *  # noqa: F403 (the check_url fixture)

pytestmark = pytest.mark.integration

PATTERNS = [
    *FORMATS.values(),
    r"^[a-z]+$", r"^a.c$", r"b$", r"^\s*$", r"\S+@\S+", r"[^\s]x", r"^(?:ab|c)+$",
    r"a(?=b)", r"a(?!b)", r"[]a]+", r"[^]a]", r"x\Z", r"\.", r"colou?r", r"^A", r"a{2,3}",
    r"^$", r"[-a]z", r"é+", r"(?<=a)b", r"a\Z|^$",
]
TEXTS = [
    "", "a", "A", "abc", "ABC", "a\n", "a\nc", "abc\n", "aXc", "a c", "\u00a0", " \t", "\x1c",
    "b", "b\n", "colour", "color", "aab", "aa", "aaaa", "ab", "abab", "a.b", "x", "x\n",
    "user@example.com", "user@example.com\n", "user @x.org", "6f1c2e3a-4b5c-4d6e-8f90-1a2b3c4d5e6f",
    "2024-02-30", "2024-02-29T10:00:00Z", "https://ex.org/p?q=1", "+1 (555) 123-4567", "]", "-z",
    "éé", "E\u0301", "ab ", "x]a",
]
LOOK_AROUNDS = {r"a(?=b)", r"a(?!b)", r"(?<=a)b"}  # RE2 (DuckDB) has none
REFUSED = [r"\d+", r"\w", r"\bword\b", r"(?i)abc", r"a{,2}", r"a++", r"(?>a)", r"[[:alpha:]]",
           r"\x41", r"[\S]", r"(?#note)a", r"(a|b)\1", r"(?P=x)"]


def test_patterns_find_what_re_search_finds(check_url):
    """Every pattern, on every text: the database's answer is ``re.search``'s."""
    engine = sa.create_engine(check_url)
    try:
        with engine.connect() as conn:
            for pattern in PATTERNS:
                if conn.dialect.name == "duckdb" and pattern in LOOK_AROUNDS:
                    with pytest.raises(Unpushable):
                        validate(conn, pattern)
                    continue
                validate(conn, pattern)
                found = conn.execute(sa.select(*(
                    search(sa.literal(text, sa.String()), pattern, conn.dialect)
                    for text in TEXTS))).one()
                wrong = {text for text, hit in zip(TEXTS, found, strict=True)
                         if bool(hit) != (re.search(pattern, text) is not None)}
                assert not wrong, f"{pattern!r} on {sorted(wrong)!r}"
    finally:
        engine.dispose()


def test_re2_refuses_what_it_cannot_read():
    """RE2 (DuckDB) has no look-arounds: a ``$`` before the end and look-arounds are refused;
    a final ``$`` also finds the end before a final newline."""
    from monitor.sources.pushdown.regex import translate_for

    for pattern in [*REFUSED, *LOOK_AROUNDS, r"a$|b", r"(a$)"]:
        with pytest.raises(Unpushable):
            translate_for(pattern, "re2")
    assert translate_for(r"^a.c\Z|x$", "re2") == "^a.c\\z|x\n?$"
    assert translate_for(r"(?P<x>a)", "re2") == "(?P<x>a)"


@pytest.mark.parametrize("name", ["postgresql", "mariadb", "mysql"])
def test_patterns_read_otherwise_are_refused(name):
    """Patterns whose meaning differs in the database are not translated (MySQL's are not
    translated at all); named groups only PostgreSQL lacks."""
    dialect = postgresql.dialect() if name == "postgresql" else mysql.dialect()
    dialect.is_mariadb = name == "mariadb"
    refused = [*REFUSED, r"(?P<x>a)"] if name != "mariadb" else REFUSED
    for pattern in refused:
        with pytest.raises(Unpushable):
            translate(pattern, dialect)
    if name == "mariadb":
        assert translate(r"(?P<x>a)$", dialect) == r"(?-i)(?P<x>a)$"


def test_whitespace_is_pythons():
    """The written-out whitespace is exactly what ``\\s`` matches."""
    assert {c for c in map(chr, range(0x110000)) if re.match(r"\s", c)} == set(WHITESPACE)
