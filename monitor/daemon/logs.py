"""Logging set-up: one line per event, as text for people or JSON for log shippers.

Run context (monitor, window, run id) is bound once per run with
``bind_run`` and shows on every line logged inside it. Every field passes
through ``Redactor`` before it is written (for JSON, before it is encoded),
so a secret that reaches a message by accident
(a password in a database URL, a token in a query string, a signing
secret, the value of a secret environment variable) is masked.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["SECRET_ENV", "Redactor", "bind_run", "configure_logging", "mask_secrets"]

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "monitor_log_context", default=None
)


@contextlib.contextmanager
def bind_run(**fields: Any) -> Iterator[None]:
    """Attach ``fields`` (monitor, window, run_id...) to every log line inside the block."""
    merged = {**(_context.get() or {}), **fields}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = _context.get() or {}
        return True


_PATTERNS = (
    (re.compile(r"(://[^:/@\s]+:)[^@/\s]+@"), r"\1***@"),  # URL passwords
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), "whsec_***"),  # signing secrets
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)([?&](?:access_token|api_key|apikey|code|key|password|secret|sig|"
                r"signature|token)=)[^&\s\"']+"), r"\1***"),
    (re.compile(r"(hooks\.slack\.com/services/|/webhookb2/)[^\s\"']+"), r"\1***"),
)
SECRET_ENV = re.compile(r"(?i)(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL|"
                        r"ROUTING_KEY|WEBHOOK)")
"""Environment variables whose values are masked wherever they appear in a log line."""


class Redactor:
    """Masks secrets in text: known patterns, and the exact values it is given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values too (values under six characters are ignored)."""
        # Longest first, so a secret that contains another is masked whole.
        found = {*self.secrets, *(s for s in secrets if len(s) >= 6)}
        self.secrets = sorted(found, key=len, reverse=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Redactor:
        """Mask the values of variables named like secrets (``SECRET_ENV``)."""
        return cls(v for k, v in environ.items() if SECRET_ENV.search(k))

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret masked."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class _TextFormatter(logging.Formatter):
    def __init__(self, fmt: str, redact: Redactor) -> None:
        super().__init__(fmt)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", {})
        if context:
            line += " " + " ".join(f"{k}={v}" for k, v in context.items())
        return self.redact(line)


class _JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """Each field is redacted before it is encoded: JSON escaping (quotes,
        backslashes, non-ASCII) would otherwise hide a secret from the masks."""
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        event.update({self.redact(str(k)): self.redact(str(v))
                      for k, v in getattr(record, "context", {}).items()})
        if record.exc_info:
            event["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(event)


def mask_secrets(secrets: Iterable[str]) -> None:
    """Add values to the redactor of every handler ``configure_logging`` installed."""
    values = list(secrets)
    for handler in logging.getLogger().handlers:
        redact = getattr(handler.formatter, "redact", None)
        if isinstance(redact, Redactor):
            redact.add(values)


def configure_logging(
    fmt: str = "text", level: str = "INFO", redactor: Redactor | None = None
) -> None:
    """Send log lines to stderr in the chosen format, replacing earlier handlers."""
    redact = redactor or Redactor()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter(redact))
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
