"""A bounded share of the server's threads for work that reads the store, with a deadline.

A hung database must never take every request thread: a page that reads the
store runs on its own thread only when one of ``slots`` is free, and its
caller waits at most ``timeout`` seconds. The slot is freed when the work
ends, even after its caller gave up, so hung work never piles up past
``slots`` threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

__all__ = ["Busy", "Gate"]

T = TypeVar("T")


class Busy(Exception):
    """The work could not start (every slot taken) or did not end in time."""


class Gate:
    """Runs callables on at most ``slots`` threads at once, each awaited for ``timeout`` s."""

    def __init__(self, slots: int, timeout: float, what: str = "the database") -> None:
        self.timeout, self.what = timeout, what
        self._slots = threading.BoundedSemaphore(slots)

    def run(self, fn: Callable[[], T]) -> T:
        """Return ``fn()``; raise ``Busy`` when no slot is free or it runs past the deadline.

        Exceptions of ``fn`` are raised here.
        """
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.what} is busy answering earlier requests; try again shortly")
        future: Future[T] = Future()

        def work() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller, never lost in the thread
                future.set_exception(exc)
            finally:
                self._slots.release()

        threading.Thread(target=work, daemon=True, name="console:store").start()
        try:
            return future.result(self.timeout)
        except TimeoutError:
            raise Busy(f"{self.what} did not answer within {self.timeout:g}s") from None
