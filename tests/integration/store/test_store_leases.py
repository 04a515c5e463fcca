"""Window leases on SQLite and PostgreSQL: one holder at a time, expiry, renewal, release."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store import open_store
from monitor.store.leases import LeaseKeeper, Leases, process_owner
from tests.integration.store.test_store_concurrency import race

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, tzinfo=UTC)
START, END = T0, T0 + timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def leases(store):
    """The lease table of a fresh store (every backend)."""
    return Leases(store.engine)


def test_second_owner_is_refused_until_the_lease_expires(leases):
    """A live lease refuses others and names its holder; once expired it is taken over."""
    first = leases.claim("m", START, END, "a", T0, MINUTE)
    assert first.granted and first.lease.owner == "a"
    assert first.lease.expires_at == T0 + MINUTE
    refused = leases.claim("m", START, END, "b", T0 + 30 * timedelta(seconds=1), MINUTE)
    assert not refused.granted and refused.lease.owner == "a"
    taken = leases.claim("m", START, END, "b", T0 + MINUTE, MINUTE)
    assert taken.granted and taken.lease.owner == "b"
    assert [lease.owner for lease in leases.held("m")] == ["b"]


def test_owner_may_claim_again_and_other_windows_are_free(leases):
    """Claiming one's own lease extends it; another window of the monitor is not blocked."""
    assert leases.claim("m", START, END, "a", T0, MINUTE).granted
    again = leases.claim("m", START, END, "a", T0 + MINUTE / 2, MINUTE)
    assert again.granted and again.lease.expires_at == T0 + MINUTE * 1.5
    assert leases.claim("m", END, END + timedelta(hours=1), "b", T0, MINUTE).granted
    assert leases.claim("other", START, END, "b", T0, MINUTE).granted


def test_renew_and_release(leases):
    """Only the owner renews or releases; a released window is free at once."""
    leases.claim("m", START, END, "a", T0, MINUTE)
    assert leases.renew("m", START, END, "a", T0 + MINUTE / 2, MINUTE)
    assert not leases.renew("m", START, END, "b", T0, MINUTE)
    leases.release("m", START, END, "b")  # not b's: nothing happens
    assert not leases.claim("m", START, END, "b", T0 + MINUTE, MINUTE).granted
    leases.release("m", START, END, "a")
    assert leases.held("m") == []
    assert leases.claim("m", START, END, "b", T0, MINUTE).granted


def test_expired_leases_of_other_windows_are_cleared(leases):
    """Claims clear the monitor's expired leases, such as those left by a killed process."""
    leases.claim("m", START - timedelta(hours=5), START - timedelta(hours=4), "dead", T0, MINUTE)
    leases.claim("m", START, END, "b", T0 + 2 * MINUTE, MINUTE)
    assert [lease.owner for lease in leases.held("m")] == ["b"]


def test_concurrent_claims_grant_one(database_url):
    """Eight processes' stores claiming one window at once: exactly one is granted."""
    stores = [open_store(database_url) for _ in range(8)]
    try:
        claims = race(8, lambda i: Leases(stores[i].engine).claim(
            "m", START, END, f"owner-{i}", T0, MINUTE))
    finally:
        for store in stores:
            store.close()
    assert sum(c.granted for c in claims) == 1
    winner = next(c.lease.owner for c in claims if c.granted)
    assert all(c.lease.owner == winner for c in claims)


def test_keeper_renews_in_the_background_and_releases(leases):
    """LeaseKeeper pushes the expiry forward while the block runs, then deletes the lease."""
    now = [datetime.now(UTC)]
    claim = leases.claim("m", START, END, process_owner(), now[0], timedelta(seconds=0.3))
    with LeaseKeeper(leases, claim.lease, timedelta(seconds=0.3), lambda: now[0]):
        now[0] += timedelta(seconds=10)
        time.sleep(0.5)  # more than one renewal period (0.1 s)
        [held] = leases.held("m")
        assert held.expires_at == now[0] + timedelta(seconds=0.3)
    assert leases.held("m") == []
