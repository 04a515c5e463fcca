"""Settings from ``MONITOR_*`` environment variables, overridable by command-line flags.

Secrets are ``SecretStr``: printed, logged or dumped, they show as ``**********``
(read one with ``.get_secret_value()``), and validation errors never quote them.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CONSOLE_TOKEN_MIN", "Settings", "check_schema_name"]

CONSOLE_TOKEN_MIN = 16
"""Fewest characters of ``MONITOR_CONSOLE_TOKEN``: shorter ones are guessed too easily."""


class Settings(BaseSettings):
    """Process-wide settings; secrets belong in the environment, not in rule files."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore",
                                      hide_input_in_errors=True)

    database_url: str = Field(default="sqlite:///monitor.db",
                              description="SQLAlchemy URL of the results database")
    database_schema: str | None = Field(default=None,
                                        description="PostgreSQL schema that holds the monitor's "
                                        "tables (created if missing), so that it can share a "
                                        "database; unset: the connection's search path")
    rules: str = Field(default="rules/", description="rule file or folder")
    http: str = Field(default="127.0.0.1:9108",
                      description="host:port of the console, /healthz and /metrics")
    log_format: Literal["text", "json"] = "text"
    log_level: str | None = Field(default=None, description="default: INFO for the daemon, "
                                  "WARNING for one-shot commands")
    catch_up_limit: int = Field(default=24, ge=1, le=10_000,
                                description="most windows one monitor runs in one tick")
    dispatch_interval: float = Field(default=5.0, gt=0,
                                     description="seconds between outbox deliveries")
    report_days: float = Field(default=90.0, gt=0, le=3650,
                               description="days a run keeps its report (the charts of its "
                               "console page); its results, which history reads, stay")
    # --- sources and windows ---
    lease_seconds: float = Field(default=60.0, gt=0,
                                 description="how long a window's lease lasts without renewal: "
                                 "a window left by a killed process is taken over after this")
    spark_master: str = Field(default="local[*]", min_length=1,
                              description="Spark master of spark sources and of `monitor "
                              "profile --engine spark` (local[*], spark://host:7077, yarn, "
                              "k8s://...)")
    http_retry_after_max: float = Field(default=300.0, gt=0,
                                        description="longest wait (seconds) an HTTP source "
                                        "grants a Retry-After answer; a longer one is cut to "
                                        "this, so one API cannot hold a worker for hours")
    # --- alerts and delivery ---
    delivery_initial_delay: float = Field(default=5.0, gt=0,
                                          description="seconds before a failed message's "
                                          "first retry (then doubling, with jitter)")
    delivery_max_delay: float = Field(default=600.0, gt=0,
                                      description="longest wait between two attempts, seconds")
    delivery_max_age: float = Field(default=86400.0, gt=0,
                                    description="seconds after which an undelivered message "
                                    "is given up (dead)")
    # --- daemon ---
    workers: int = Field(default=4, ge=1, le=256,
                         description="threads running monitors' windows at once")
    jitter: float = Field(default=0.0, ge=0,
                          description="random delay (seconds) added to each tick, so many "
                          "monitors do not hit the database in the same second")
    misfire_grace: float = Field(default=300.0, gt=0,
                                 description="a tick later than this (seconds) is skipped; "
                                 "missed ticks coalesce into one")
    stop_grace: float = Field(default=30.0, ge=0,
                              description="seconds running windows get to finish after "
                              "SIGTERM before the daemon exits anyway")
    reload_interval: float = Field(default=2.0, gt=0,
                                   description="seconds between checks of the rule files")
    liveness_ticks: int = Field(default=10, ge=1, le=10_000,
                                description="/healthz turns stale when a monitor's tick makes "
                                "no progress for this many of its tick intervals")
    liveness_min: float = Field(default=300.0, gt=0,
                                description="...but never before this many seconds")
    ready_timeout: float = Field(default=5.0, gt=0,
                                 description="seconds /readyz waits for the database to answer")
    # --- web console ---
    public_url: str | None = Field(default=None,
                                   description="the web console's public address, e.g. "
                                   "https://monitor.example.com: alert messages link to the "
                                   "page of their run there; unset, they carry no link")
    console_token: SecretStr | None = Field(default=None,
                                            description="token that allows changes through "
                                            "the console; unset, the console is read-only")

    @field_validator("public_url", "console_token", "database_schema", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `MONITOR_PUBLIC_URL=` in a compose or unit file means "not set", not "bad value".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_schema")
    @classmethod
    def _database_schema(cls, value: str | None) -> str | None:
        return None if value is None else check_schema_name(value)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = _url_problem(value)
        if problem:
            shown = "" if "@" in value else f", got '{value}'"  # never echo a password
            raise ValueError(f"MONITOR_PUBLIC_URL must be the http:// or https:// address of "
                             f"the console, such as https://monitor.example.com: {problem}"
                             f"{shown}")
        return value

    @field_validator("console_token")
    @classmethod
    def _console_token(cls, value: SecretStr | None) -> SecretStr | None:
        # The value is never quoted: a short token is still a secret.
        if value is not None and len(value.get_secret_value()) < CONSOLE_TOKEN_MIN:
            raise ValueError(f"MONITOR_CONSOLE_TOKEN must be at least {CONSOLE_TOKEN_MIN} "
                             f"characters, got {len(value.get_secret_value())}; generate "
                             "one with: python -c 'import secrets; print(secrets.token_urlsafe())'")
        return value

    @field_validator("http")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"MONITOR_HTTP must be host:port, got '{value}'")
        return value

    def http_address(self) -> tuple[str, int]:
        """``MONITOR_HTTP`` split into host and port."""
        host, _, port = self.http.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)


_SCHEMA_NAME_MAX = 63  # PostgreSQL's NAMEDATALEN - 1
_SCHEMA_NAME = re.compile(rf"[a-z_][a-z0-9_]{{0,{_SCHEMA_NAME_MAX - 1}}}")


def check_schema_name(name: str) -> str:
    """Return ``name`` when it can be the monitor's PostgreSQL schema, else raise ValueError.

    Only lower-case plain identifiers: PostgreSQL folds unquoted names to lower case, so
    ``Monitor`` would name one schema for the monitor and another for ``psql``. ``pg_*`` and
    ``information_schema`` belong to the server.
    """
    if (_SCHEMA_NAME.fullmatch(name) is None or name.startswith("pg_")
            or name == "information_schema"):
        raise ValueError(
            "MONITOR_DATABASE_SCHEMA must be a plain SQL identifier such as monitor (lower-case "
            f"letters, digits and _, not starting with a digit, at most {_SCHEMA_NAME_MAX} "
            f"characters; not pg_* or information_schema), got {name!r}")
    return name


def _url_problem(url: str) -> str | None:
    """What keeps ``url`` from being a console address people can open, or None."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "it holds spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it has no host"
    if parts.username is not None or parts.password is not None:
        return "it must not hold a user or password (every alert message shows it)"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "it must not have a query (?...) or fragment (#...)"
    return None
