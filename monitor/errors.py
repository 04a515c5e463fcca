"""Errors raised by the monitor.

Every error the monitor raises on purpose derives from ``MonitorError`` and
carries its facts as fields, so the command line and the daemon can report
them precisely::

    MonitorError
     ├── RuleError          one problem in a rule file (path, line, column)
     ├── RulesInvalid       a rule set with one or more RuleErrors
     ├── ExpressionError    a `when:` condition that does not parse (offset in
     │                      the text)
     ├── PluginError        unknown plugin name, or a plugin of the wrong type
     ├── SourceError        a data source could not be read (missing file,
     │                      unreadable Parquet, failing query, bad timestamp)
     ├── ProfileError       a profile cannot be built, loaded or compared
     ├── StoreError         the database is unreachable or its schema is stale
     └── NotifierError      one delivery failed; ``retryable`` says whether
                            trying again later may succeed

``Interrupted`` stands apart: it is not a fault but the daemon stopping, and
a run that meets it is abandoned without storing anything.

Only the edges (the command line and the scheduler job) catch these broadly.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ExpressionError",
    "Interrupted",
    "MonitorError",
    "NotifierError",
    "PluginError",
    "ProfileError",
    "RuleError",
    "RulesInvalid",
    "SourceError",
    "StoreError",
    "missing_driver",
]


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RuleError(MonitorError):
    """One problem in a rule file, located as ``path:line:column``.

    ``line`` and ``column`` are 1-based; 0 means the position is unknown.
    """

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class RulesInvalid(MonitorError):
    """A rule set that failed validation; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class ExpressionError(MonitorError):
    """A ``when:`` condition that cannot be parsed.

    ``offset`` is the 0-based character position of the problem in the text,
    so the rule loader can point at the exact column.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at character {self.offset + 1})"


class PluginError(MonitorError):
    """A plugin name is unknown, or its entry point is not the expected type."""


class SourceError(MonitorError):
    """A data source could not be read; the message names the source and the cause."""


class ProfileError(MonitorError):
    """A profile cannot be built, loaded or compared."""


class StoreError(MonitorError):
    """The database cannot be reached or is not at the expected schema."""


class NotifierError(MonitorError):
    """A notification could not be delivered.

    ``retryable`` is true for faults that may pass (network errors, 5xx, 429);
    ``retry_after`` carries the receiver's Retry-After in seconds, when given.
    """

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Interrupted(Exception):
    """The daemon is stopping: a run in progress is abandoned, nothing of it stored."""


# The drivers of the extras, and those bare URLs ask for instead: (database, extra, what to write).
_DRIVERS: dict[str, tuple[str, str, str | None]] = {
    "psycopg": ("PostgreSQL", "postgres", None),
    "psycopg2": ("PostgreSQL", "postgres", "postgresql+psycopg"),
    "pymysql": ("MySQL", "mysql", None),
    "MySQLdb": ("MySQL", "mysql", "mysql+pymysql"),
}


def missing_driver(drivername: str, exc: ImportError) -> str | None:
    """Which extra installs the database driver a URL needs; None for another module.

    The store and the SQL sources both say it when ``create_engine`` cannot
    import the URL's driver.

    >>> missing_driver("mysql+pymysql", ModuleNotFoundError(name="pymysql"))
    "the MySQL driver is not installed: pip install 'monitor[mysql]'"
    >>> missing_driver("postgresql", ModuleNotFoundError(name="psycopg2"))[:60]
    'the PostgreSQL driver psycopg2, which postgresql:// asks for'
    """
    module = (exc.name or "").partition(".")[0]
    if module not in _DRIVERS:
        return None
    database, extra, prefix = _DRIVERS[module]
    install = f"pip install 'monitor[{extra}]'"
    if prefix is None:
        return f"the {database} driver is not installed: {install}"
    return (f"the {database} driver {module}, which {drivername}:// asks for, is not "
            f"installed: write the URL as {prefix}://... and {install}")
