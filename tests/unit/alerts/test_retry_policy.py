"""Backoff of failed deliveries: exponential growth, cap, jitter, Retry-After, max age."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.delivery.dispatcher import RetryPolicy, next_attempt

CREATED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NO_JITTER = RetryPolicy(jitter=0.0)


def _delay(policy: RetryPolicy, attempts: int, *, retry_after: float | None = None,
           seed: int = 0, elapsed: timedelta = timedelta(minutes=1)) -> float | None:
    """Seconds from the failure to the next attempt, or None for dead."""
    now = CREATED + elapsed
    when = next_attempt(policy, attempts, CREATED, now, retry_after, random.Random(seed))
    return None if when is None else (when - now).total_seconds()


def test_exponential_growth() -> None:
    """Without jitter the delays are 5, 10, 20, 40 seconds."""
    assert [_delay(NO_JITTER, n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]


def test_delay_is_capped() -> None:
    """The delay never exceeds max_delay, however many attempts failed."""
    assert _delay(NO_JITTER, 8) == 600.0  # 5 * 2**7 = 640 > 600
    assert _delay(NO_JITTER, 10_000) == 600.0
    assert _delay(RetryPolicy(), 10_000) == 600.0


def test_huge_factor_does_not_overflow() -> None:
    """A steep factor with many attempts hits the cap instead of overflowing."""
    steep = RetryPolicy(factor=1000.0, jitter=0.0)
    assert _delay(steep, 500) == 600.0


def test_jitter_bounds() -> None:
    """With 10 % jitter the third delay lies in [18, 22] s and varies with the seed."""
    delays = [_delay(RetryPolicy(), 3, seed=seed) for seed in range(200)]
    assert all(d is not None and 18.0 <= d <= 22.0 for d in delays)
    assert min(delays) < 18.5 and max(delays) > 21.5  # type: ignore[operator]


def test_jitter_is_deterministic_for_a_seed() -> None:
    """The same seed gives the same delay."""
    assert _delay(RetryPolicy(), 2, seed=42) == _delay(RetryPolicy(), 2, seed=42)


def test_retry_after_is_honoured_and_capped() -> None:
    """Retry-After lengthens the wait, never shortens it, and is capped at max_delay."""
    assert _delay(NO_JITTER, 1, retry_after=120) == 120.0
    assert _delay(NO_JITTER, 4, retry_after=1) == 40.0
    assert _delay(NO_JITTER, 1, retry_after=7200) == 600.0


def test_max_age_gives_up() -> None:
    """Past max_age since creation the message is dead (None)."""
    assert _delay(NO_JITTER, 50, elapsed=timedelta(hours=24)) is None
    assert _delay(NO_JITTER, 50, elapsed=timedelta(hours=30)) is None


def test_last_attempt_lands_on_the_deadline() -> None:
    """Close to max_age the next attempt is moved to the deadline, not past it."""
    now = CREATED + timedelta(hours=24) - timedelta(seconds=30)
    when = next_attempt(NO_JITTER, 20, CREATED, now, None, random.Random(0))
    assert when == CREATED + timedelta(hours=24)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"initial": timedelta(0)}, "initial delay must be positive"),
        ({"factor": 0.5}, "factor must be 1 or more, got 0.5"),
        ({"max_delay": timedelta(seconds=1)}, "must not be below initial"),
        ({"max_age": timedelta(0)}, "max_age must be positive"),
        ({"jitter": 1.0}, r"jitter must be in \[0, 1\), got 1.0"),
    ],
)
def test_bad_policy_is_rejected(fields: dict, message: str) -> None:
    """Nonsensical policies are refused with a message naming the field and value."""
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**fields)


def test_policy_from_settings() -> None:
    """MONITOR_DELIVERY_* settings become the policy's initial delay, cap and max age."""
    from monitor.settings import Settings

    settings = Settings(delivery_initial_delay=2, delivery_max_delay=60, delivery_max_age=3600)
    policy = RetryPolicy.from_settings(settings)
    assert (policy.initial, policy.max_delay, policy.max_age) == (
        timedelta(seconds=2), timedelta(seconds=60), timedelta(hours=1))
    assert RetryPolicy.from_settings(Settings()) == RetryPolicy()


def test_jitter_spreads_retries_within_bounds() -> None:
    """With 10% jitter, 1,000 retries of attempt 3 fall in [18, 22] s and spread over it."""
    rng = random.Random(3)
    now = CREATED + timedelta(minutes=1)
    delays = [(next_attempt(RetryPolicy(), 3, CREATED, now, None, rng) - now).total_seconds()
              for _ in range(1000)]
    assert 18.0 <= min(delays) < 18.2 and 21.8 < max(delays) <= 22.0
    assert abs(sum(delays) / len(delays) - 20.0) < 0.1
