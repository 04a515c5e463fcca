"""Logging set-up: one line per event, as text for people or JSON for log shippers.

Run context (monitor, window, run id) is bound once per run with
``bind_run`` and shows on every line logged inside it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = ["bind_run", "configure_logging"]

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


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", {})
        if context:
            line += " " + " ".join(f"{k}={v}" for k, v in context.items())
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({k: str(v) for k, v in getattr(record, "context", {}).items()})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event)


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Send log lines to stderr in the chosen format, replacing earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
