"""The daemon's notifiers and dispatcher, swapped by a reload without cutting a delivery short.

A reload builds a new set of notifiers; a delivery that already started
keeps the set it began with, and the old set is closed only when its last
delivery has ended (the way a connection pool drains before it closes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.notifiers.base import Notifier

__all__ = ["Deliveries", "NotifierSet"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class NotifierSet:
    """One generation of notifiers with the dispatcher that uses them."""

    notifiers: Mapping[str, Notifier]
    dispatcher: Dispatcher
    users: int = 0
    retired: bool = False
    closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Close every notifier once; a failing close is logged, the others still close."""
        if self.closed:
            return
        self.closed = True
        for name, notifier in self.notifiers.items():
            try:
                notifier.close()
            except Exception:
                log.exception("closing notifier %s failed", name)


class Deliveries:
    """The current ``NotifierSet``: ``use`` it to deliver, ``swap`` it on reload."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: NotifierSet | None = None

    @property
    def current(self) -> NotifierSet | None:
        """The newest set (None before the rules are loaded)."""
        return self._current

    def swap(self, notifiers: Mapping[str, Notifier], dispatcher: Dispatcher) -> None:
        """Make a new set current; the old one closes when its deliveries have ended."""
        with self._lock:
            old, self._current = self._current, NotifierSet(notifiers, dispatcher)
        if old is not None:
            self._retire(old)

    def close(self) -> None:
        """Retire the current set (the daemon is stopping)."""
        with self._lock:
            old, self._current = self._current, None
        if old is not None:
            self._retire(old)

    @contextmanager
    def use(self) -> Iterator[NotifierSet | None]:
        """The current set, kept open until the block ends even if a reload swaps it."""
        with self._lock:
            chosen = self._current
            if chosen is not None:
                chosen.users += 1
        try:
            yield chosen
        finally:
            if chosen is not None:
                with self._lock:
                    chosen.users -= 1
                    done = chosen.retired and chosen.users == 0
                if done:
                    chosen.close()

    def _retire(self, old: NotifierSet) -> None:
        with self._lock:
            old.retired = True
            idle = old.users == 0
        if idle:
            old.close()
