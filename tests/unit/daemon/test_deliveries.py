"""A reload swaps the notifier set; a delivery in flight finishes on the old one."""

from __future__ import annotations

from typing import Any, cast

from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.notifiers.base import Notifier
from monitor.daemon.deliveries import Deliveries


class Closable:
    """Stands for a notifier: only ``close`` matters here."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def notifiers(*names: str) -> dict[str, Any]:
    return {name: Closable() for name in names}


def swap(deliveries: Deliveries, found: dict[str, Any]) -> None:
    deliveries.swap(cast(dict[str, Notifier], found), cast(Dispatcher, object()))


def test_old_set_closes_only_when_its_delivery_ends():
    deliveries = Deliveries()
    old, new = notifiers("hook"), notifiers("hook")
    swap(deliveries, old)
    with deliveries.use() as current:
        assert current is not None and current.notifiers is old
        swap(deliveries, new)  # a reload while the delivery runs
        assert old["hook"].closed == 0  # still delivering on it
        assert deliveries.current is not None and deliveries.current.notifiers is new
    assert old["hook"].closed == 1 and new["hook"].closed == 0


def test_an_idle_set_closes_at_once_and_only_once():
    deliveries = Deliveries()
    first, second = notifiers("a", "b"), notifiers("a")
    swap(deliveries, first)
    swap(deliveries, second)
    assert first["a"].closed == first["b"].closed == 1
    deliveries.close()
    deliveries.close()
    assert second["a"].closed == 1
    with deliveries.use() as current:
        assert current is None


def test_a_failing_close_does_not_keep_the_others_open():
    class Broken(Closable):
        def close(self) -> None:
            raise OSError("socket already gone")

    deliveries = Deliveries()
    found = {"broken": Broken(), "hook": Closable()}
    swap(deliveries, found)
    deliveries.close()
    assert found["hook"].closed == 1
