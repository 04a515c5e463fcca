"""The webhook payload: exact keys of DESIGN.md, ISO Z times, detail cap, idempotency keys."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from monitor.alerts.links import run_link
from monitor.alerts.payload import build_payload, idempotency_key
from monitor.times import format_time

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
CONTRACT_KEYS = [
    "version", "status", "alert", "monitor", "severity", "window", "value", "summary",
    "details", "idempotency_key", "started_at", "url", "labels", "annotations", "reason",
    "reminder",
]


def _payload(**overrides: Any) -> dict[str, Any]:
    """Build a payload with the DESIGN.md example values, overridden as asked."""
    args: dict[str, Any] = {
        "status": "firing",
        "alert": "feature-drift",
        "monitor": "credit-scoring",
        "severity": "critical",
        "window_start": START,
        "window_end": END,
        "value": 0.42,
        "summary": "7 of 16 columns drifted",
        "details": [{"column": "income", "method": "ks", "statistic": 0.21, "p_value": 1e-9}],
        "started_at": END,
        "url": None,
        "idempotency_key": "k" * 32,
    }
    args.update(overrides)
    return build_payload(**args)


def test_payload_matches_design_example() -> None:
    """The payload has exactly the documented keys, in order, with the documented values."""
    payload = _payload(url=run_link("https://monitor.example.com", "credit-scoring", END))
    assert list(payload) == CONTRACT_KEYS
    assert payload == {
        "version": "1",
        "status": "firing",
        "alert": "feature-drift",
        "monitor": "credit-scoring",
        "severity": "critical",
        "window": {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T11:00:00Z"},
        "value": 0.42,
        "summary": "7 of 16 columns drifted",
        "details": [{"column": "income", "method": "ks", "statistic": 0.21, "p_value": 1e-9}],
        "idempotency_key": "k" * 32,
        "started_at": "2026-11-24T11:00:00Z",
        "url": "https://monitor.example.com/monitors/credit-scoring/windows/2026-11-24T11:00:00Z",
        "labels": {"alert": "feature-drift", "monitor": "credit-scoring", "severity": "critical"},
        "annotations": {},
        "reason": "condition",
        "reminder": False,
    }


def test_labels_annotations_reason_and_reminder_are_passed_through() -> None:
    """The four additive keys carry what the caller gives, as strings."""
    payload = _payload(labels={"alert": "a", "team": "ml"}, annotations={"runbook": "r"},
                       reason="no_data", reminder=True)
    assert (payload["labels"], payload["annotations"]) == ({"alert": "a", "team": "ml"},
                                                           {"runbook": "r"})
    assert (payload["reason"], payload["reminder"]) == ("no_data", True)


def test_unknown_reason_is_rejected() -> None:
    """A reason outside the documented four is a programming error named in the message."""
    with pytest.raises(ValueError, match="reason must be one of condition, no_data, error"):
        _payload(reason="sleepy")


def test_reason_separates_idempotency_keys() -> None:
    """A no-data message and a condition message of one window get different keys."""
    plain = idempotency_key("m/a", "firing", START, END, notifier="n")
    assert idempotency_key("m/a", "firing", START, END, notifier="n", reason="condition") == plain
    assert idempotency_key("m/a", "firing", START, END, notifier="n", reason="no_data") != plain


def test_payload_is_strict_json() -> None:
    """The payload serialises without NaN/Infinity; non-finite numbers become null."""
    payload = _payload(
        value=float("nan"),
        details=[{"p_value": np.float64("inf"), "n": np.int64(3), "drifted": np.bool_(True)}],
    )
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["value"] is None
    assert back["details"] == [{"p_value": None, "n": 3, "drifted": True}]
    assert back["url"] is None


def test_times_are_converted_to_utc_z() -> None:
    """Times in other zones are written in UTC with a Z suffix; microseconds are kept."""
    plus_two = timezone(timedelta(hours=2))
    payload = _payload(
        window_start=datetime(2026, 11, 24, 12, 0, tzinfo=plus_two),
        started_at=datetime(2026, 11, 24, 11, 0, 0, 250000, tzinfo=UTC),
    )
    assert payload["window"]["start"] == "2026-11-24T10:00:00Z"
    assert payload["started_at"] == "2026-11-24T11:00:00.250000Z"
    assert format_time(END) == "2026-11-24T11:00:00Z"


def test_naive_time_is_rejected() -> None:
    """A naive datetime has no defined UTC form and is refused with a clear message."""
    with pytest.raises(ValueError, match="has no time zone"):
        _payload(window_end=datetime(2026, 11, 24, 11, 0))


def test_details_are_capped_with_count() -> None:
    """Past max_details the list is cut and details_omitted says how many were left out."""
    details = [{"column": f"c{i}", "statistic": i / 10} for i in range(25)]
    payload = _payload(details=details, max_details=20)
    assert payload["details"] == details[:20]
    assert payload["details_omitted"] == 5
    assert list(payload) == [*CONTRACT_KEYS[:9], "details_omitted", *CONTRACT_KEYS[9:]]


def test_details_at_cap_have_no_omitted_key() -> None:
    """A list exactly at the cap is kept whole, without a details_omitted key."""
    details = [{"column": f"c{i}"} for i in range(20)]
    payload = _payload(details=details)
    assert len(payload["details"]) == 20
    assert "details_omitted" not in payload


def test_bad_status_and_detail_values_are_rejected() -> None:
    """Unknown statuses and values without a JSON form are errors naming the culprit."""
    with pytest.raises(ValueError, match="'firing' or 'resolved', got 'fired'"):
        _payload(status="fired")
    with pytest.raises(ValueError, match=r"details\[0\]\.when has type object"):
        _payload(details=[{"when": object()}])
    with pytest.raises(ValueError, match="max_details must be 0 or more, got -1"):
        _payload(max_details=-1)


def test_idempotency_key_is_stable_and_distinct() -> None:
    """The same window gives the same key; status, window and notifier change it."""
    key = idempotency_key("credit-scoring/feature-drift", "firing", START, END)
    assert key == idempotency_key("credit-scoring/feature-drift", "firing", START, END)
    assert len(key) == 32 and int(key, 16) >= 0
    others = {
        idempotency_key("credit-scoring/feature-drift", "resolved", START, END),
        idempotency_key("credit-scoring/feature-drift", "firing", START, END + timedelta(hours=1)),
        idempotency_key("credit-scoring/data-quality", "firing", START, END),
        idempotency_key("credit-scoring/feature-drift", "firing", START, END, notifier="ml-slack"),
    }
    assert key not in others and len(others) == 4


def test_idempotency_key_ignores_time_zone_spelling() -> None:
    """The same instant written in two zones gives the same key."""
    plus_two = timezone(timedelta(hours=2))
    key_utc = idempotency_key("m/a", "firing", START, END)
    local_start, local_end = START.astimezone(plus_two), END.astimezone(plus_two)
    key_local = idempotency_key("m/a", "firing", local_start, local_end)
    assert key_utc == key_local


def test_float_value_round_trips() -> None:
    """A finite value is carried as the same float."""
    payload = _payload(value=np.float32(0.25))
    assert isinstance(payload["value"], float) and math.isclose(payload["value"], 0.25)
