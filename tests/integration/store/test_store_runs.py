"""Runs in the store: one transaction per run, each window once, failed windows retried."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.errors import StoreError
from monitor.records import NewResult
from monitor.store import Store
from monitor.store.outbox import OutboxQueue
from tests.integration.store.store_factories import (
    HOUR,
    T0,
    alert_state,
    new_results,
    new_run,
    notification,
)

pytestmark = pytest.mark.integration


def test_save_run_stores_run_results_states_and_outbox(store: Store) -> None:
    """save_run writes the run, its results, the alert states and the outbox rows."""
    saved = store.save_run(new_run(), new_results(), [alert_state()], [notification()])
    assert saved is not None
    assert saved.attempts == 1 and saved.duration_seconds == 2.5 and saved.drift_share == 0.25
    assert store.get_run("credit", T0, T0 + HOUR) == saved
    results = store.results(saved.id)
    assert [(r.check, r.method, r.statistic, r.drifted, r.passed) for r in results] == [
        ("drift", "ks", 0.21, True, None),
        ("missing_share", None, None, None, True),
    ]
    assert all(r.run_id == saved.id for r in results)
    assert store.alert_states("credit") == {"credit/feature-drift": alert_state()}
    [message] = OutboxQueue(store).messages()
    assert message.payload == notification().payload and message.attempts == 0
    assert message.next_attempt_at == notification().created_at


def test_same_window_twice_stores_it_once(store: Store) -> None:
    """A second run of a done window returns None and writes nothing, outbox included."""
    first = store.save_run(new_run(), new_results(), [], [notification("k1")])
    second = store.save_run(
        new_run(drift_share=0.9), new_results(), [alert_state()], [notification("k2")]
    )
    assert first is not None and second is None
    assert [m.idempotency_key for m in OutboxQueue(store).messages()] == ["k1"]
    assert store.alert_states("credit") == {}
    assert len(store.results(first.id)) == 2
    assert store.runs() == [first]


def test_no_data_window_is_done_too(store: Store) -> None:
    """A no_data run closes its window like an ok run."""
    assert store.save_run(new_run(status="no_data", current_rows=0), [], [], []) is not None
    assert store.save_run(new_run(), [], [], []) is None


def test_failed_run_is_replaced_by_a_later_run(store: Store) -> None:
    """A failed window is retried: the new run replaces it, its old results go."""
    failed = store.save_run(
        new_run(status="failed", error="source timed out"), new_results()[:1], [], []
    )
    assert failed is not None and failed.error == "source timed out"
    retried = store.save_run(new_run(drift_share=0.5), new_results(), [], [])
    assert retried is not None
    assert retried.id == failed.id and retried.attempts == 2
    assert retried.status == "ok" and retried.error is None and retried.drift_share == 0.5
    assert [r.check for r in store.results(retried.id)] == ["drift", "missing_share"]
    assert store.runs() == [retried]


def test_failed_run_can_fail_again(store: Store) -> None:
    """Failing a failed window again counts the attempt and keeps the window open."""
    store.save_run(new_run(status="failed", error="one"), [], [], [])
    again = store.save_run(new_run(status="failed", error="two"), [], [], [])
    assert again is not None and again.attempts == 2 and again.error == "two"
    assert store.last_window_end("credit") is None


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(
            {"results": [NewResult(check=None, column="age")]},  # type: ignore[arg-type]
            id="null-check",
        ),
        pytest.param({"alert_states": [alert_state(state="exploded")]}, id="bad-alert-state"),
    ],
)
def test_failure_mid_transaction_writes_nothing(store: Store, broken: dict) -> None:
    """A row the database rejects after the run was inserted rolls everything back."""
    parts = {
        "results": new_results(),
        "alert_states": [alert_state()],
        "notifications": [notification()],
    }
    parts.update(broken)
    with pytest.raises(StoreError, match="cannot save the run of monitor 'credit'"):
        store.save_run(new_run(), **parts)
    assert store.get_run("credit", T0, T0 + HOUR) is None
    assert store.runs() == [] and OutboxQueue(store).messages() == []
    assert store.alert_states("credit") == {}
    assert store.save_run(new_run(), new_results(), [], []) is not None  # the window is free


def test_unserialisable_payload_is_a_clear_error(store: Store) -> None:
    """A payload that is not JSON is refused, naming the notification, before any write."""
    bad = replace(notification("k-bad"), payload={"when": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(StoreError, match="notification 'k-bad' cannot be stored as JSON"):
        store.save_run(new_run(), [], [], [bad])
    assert store.runs() == []


def test_existing_idempotency_key_is_skipped(store: Store) -> None:
    """A notification whose key is already in the outbox is not added again."""
    store.save_run(new_run(), [], [], [notification("k1", run=1)])
    later = new_run(start=T0 + HOUR)
    store.save_run(later, [], [], [notification("k1", run=2), notification("k2", run=2)])
    by_key = {m.idempotency_key: m.payload["run"] for m in OutboxQueue(store).messages()}
    assert by_key == {"k1": 1, "k2": 2}


def test_alert_states_are_upserted(store: Store) -> None:
    """A later run's alert state replaces the stored one with the same key."""
    store.save_run(new_run(), [], [alert_state(), alert_state("credit/quality")], [])
    firing = alert_state(state="firing", consecutive=2, fired_at=T0 + 2 * HOUR, last_value=0.5)
    store.save_run(new_run(start=T0 + HOUR), [], [firing], [])
    states = store.alert_states("credit")
    assert states["credit/feature-drift"] == firing
    assert states["credit/quality"].state == "pending"
    assert store.alert_states("fraud") == {}


def test_watermark_is_the_latest_done_window(store: Store) -> None:
    """last_window_end ignores failed runs and other monitors."""
    assert store.last_window_end("credit") is None
    store.save_run(new_run(), [], [], [])
    store.save_run(new_run(start=T0 + HOUR, status="no_data"), [], [], [])
    store.save_run(new_run(start=T0 + 2 * HOUR, status="failed", error="boom"), [], [], [])
    store.save_run(new_run("fraud", start=T0 + 5 * HOUR), [], [], [])
    assert store.last_window_end("credit") == T0 + 2 * HOUR
    assert store.last_window_end("fraud") == T0 + 6 * HOUR


def test_runs_newest_window_first_with_limit_and_filter(store: Store) -> None:
    """runs() lists latest windows first, filtered by monitor and cut at limit."""
    for hour in (0, 2, 1):
        store.save_run(new_run(start=T0 + hour * HOUR), [], [], [])
    store.save_run(new_run("fraud", start=T0 + 10 * HOUR), [], [], [])
    starts = [r.window_start for r in store.runs("credit")]
    assert starts == [T0 + 2 * HOUR, T0 + HOUR, T0]
    assert [r.monitor for r in store.runs(limit=2)] == ["fraud", "credit"]


def test_times_round_trip_as_aware_utc(store: Store) -> None:
    """Times in any offset come back as the same instant in UTC, to the microsecond."""
    paris = timezone(timedelta(hours=2))
    start = datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=paris)
    saved = store.save_run(new_run(start=start), [], [], [])
    assert saved is not None
    loaded = store.get_run("credit", start.astimezone(UTC), (start + HOUR).astimezone(UTC))
    assert loaded == saved
    assert loaded.window_start == start and loaded.window_start.tzinfo is UTC
    assert loaded.window_start.hour == 10 and loaded.window_start.microsecond == 123456
    assert store.last_window_end("credit") == start + HOUR
    assert store.last_window_end("credit").tzinfo is UTC  # type: ignore[union-attr]


def test_naive_times_are_refused(store: Store) -> None:
    """A naive datetime is an error naming the field, not a silent guess."""
    with pytest.raises(StoreError, match="window_start: naive datetime"):
        store.save_run(new_run(window_start=datetime(2026, 1, 1)), [], [], [])
    with pytest.raises(StoreError, match="naive datetime"):
        store.get_run("credit", datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_non_finite_floats_are_stored_as_null(store: Store) -> None:
    """NaN and infinities in a run, its results and alert states come back as None."""
    nan, inf = float("nan"), float("inf")
    saved = store.save_run(
        new_run(drift_share=nan),
        [NewResult(check="drift", column="x", statistic=inf, p_value=nan, value=-inf)],
        [alert_state(last_value=nan)],
        [],
    )
    assert saved is not None and saved.drift_share is None
    [result] = store.results(saved.id)
    assert (result.statistic, result.p_value, result.value) == (None, None, None)
    assert store.alert_states("credit")["credit/feature-drift"].last_value is None
    assert store.runs()[0].drift_share is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "done"}, "must be one of ok, failed, no_data, got 'done'"),
        ({"window_end": T0}, r"must end after it starts, got \[2026-11-24T10:00:00\+00:00, "),
    ],
)
def test_invalid_runs_are_refused(store: Store, changes: dict, message: str) -> None:
    """A run with an unknown status or an empty window is a clear error."""
    with pytest.raises(StoreError, match=message):
        store.save_run(new_run(**changes), [], [], [])
    assert store.runs() == []
