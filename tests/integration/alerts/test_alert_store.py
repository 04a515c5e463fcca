"""Silences and alert-state listings in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from monitor.errors import StoreError
from monitor.records import NewSilence
from monitor.store import Store, downgrade, upgrade
from monitor.store.alerting import (
    active_silences,
    add_silence,
    alert_names,
    expire_silence,
    list_alert_states,
    silences,
)
from monitor.store.engine import create_store_engine
from tests.integration.store.store_factories import HOUR, T0, alert_state, new_run

pytestmark = pytest.mark.integration


def silence(start: int, end: int, **fields: object) -> NewSilence:
    """A silence of 'feature-drift' from hour ``start`` to hour ``end`` after T0."""
    values: dict[str, object] = {"alert": "feature-drift", "reason": "deploy",
                                 "starts_at": T0 + start * HOUR, "ends_at": T0 + end * HOUR,
                                 "created_at": T0}
    return NewSilence(**{**values, **fields})  # type: ignore[arg-type]


def test_silence_life(store: Store) -> None:
    """Add, list upcoming/active, expire early: every step visible, times in UTC."""
    first = add_silence(store, silence(0, 2, monitor="credit", severity="critical",
                                       created_by="ana"))
    later = add_silence(store, silence(5, 6, segment="state=CA"))
    assert (first.id, first.monitor, first.severity, first.created_by) == (
        first.id, "credit", "critical", "ana")
    now = T0 + HOUR
    assert [s.id for s in active_silences(store, now)] == [first.id]
    assert [s.id for s in silences(store, now)] == [first.id, later.id]
    expired = expire_silence(store, first.id, now)
    assert expired.expired_at == now and expired.ended_at == now and not expired.active(now)
    assert active_silences(store, now) == []
    assert [s.id for s in silences(store, now)] == [later.id]
    assert [s.id for s in silences(store, now, include_ended=True)] == [first.id, later.id]


@pytest.mark.parametrize(("bad", "message"), [
    ({"reason": "  "}, "the reason is empty"),
    ({"alert": ""}, "the alert name or pattern is empty"),
    ({"ends_at": T0}, "before it starts"),
])
def test_invalid_silence_is_refused_and_nothing_stored(store: Store, bad, message) -> None:
    """A silence without a reason, an alert, or a positive length is refused."""
    with pytest.raises(StoreError, match=message):
        add_silence(store, silence(1, 2, **bad))
    assert silences(store, T0, include_ended=True) == []


def test_expire_errors(store: Store) -> None:
    """Expiring an unknown or an ended silence names it and what to do."""
    ended = add_silence(store, silence(0, 1))
    with pytest.raises(StoreError, match="there is no silence 999: see `monitor silence list`"):
        expire_silence(store, 999, T0)
    with pytest.raises(StoreError, match=f"silence {ended.id} already ended at"):
        expire_silence(store, ended.id, T0 + 2 * HOUR)


def test_alert_states_listing_and_routing_fields(store: Store) -> None:
    """Firing first, then pending; inactive only when asked; new fields round-trip."""
    firing = alert_state("credit/a", alert="a", state="firing", severity="critical",
                         reason="error", clear_windows=2, announced=True, muted="silence 3",
                         last_notified_at=T0 + HOUR)
    states = [alert_state("credit/b", alert="b"), firing,
              alert_state("credit/c", alert="c", state="inactive")]
    store.save_run(new_run(), [], states, [])
    assert [s.alert for s in list_alert_states(store)] == ["a", "b"]
    assert [s.alert for s in list_alert_states(store, include_inactive=True)] == ["a", "b", "c"]
    assert list_alert_states(store, "other") == []
    assert list_alert_states(store)[0] == firing
    assert alert_names(store) == {("credit", "a"), ("credit", "b"), ("credit", "c")}


def test_upgrade_marks_firing_alerts_announced(database_url: str) -> None:
    """Alerts firing before revision 0002 count as announced, so they are not sent again."""
    engine = create_store_engine(database_url)
    try:
        upgrade(engine, "0001_initial")
        with engine.begin() as connection:
            for key, state in (("m/a", "firing"), ("m/b", "pending")):
                connection.execute(text(
                    "INSERT INTO alert_states (alert_key, monitor, alert, state, consecutive,"
                    " fired_at, updated_at) VALUES (:k, 'm', :a, :s, 1, :t, :t)"),
                    {"k": key, "a": key[2:], "s": state, "t": T0})
        upgrade(engine)
        store = Store(engine)
        states = {s.alert_key: s for s in list_alert_states(store)}
        assert (states["m/a"].announced, states["m/a"].last_notified_at) == (True, T0)
        assert (states["m/b"].announced, states["m/b"].reason) == (False, "condition")
        downgrade(engine, "0001_initial")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alert_states")).scalar() == 2
    finally:
        engine.dispose()
