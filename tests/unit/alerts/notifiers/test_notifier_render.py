"""Shared message wording: titles, windows, column caps and text limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.alerts.notifiers.render import (
    alert_title,
    columns_text,
    group_title,
    identity_labels,
    link_of,
    top_columns,
    truncate,
    window_text,
)
from monitor.alerts.payload import build_payload

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
END = datetime(2026, 11, 24, 11, tzinfo=UTC)


def _payload(columns: int = 3, **fields: object) -> dict[str, object]:
    """A firing payload with `columns` drifted columns (20 kept, the rest counted)."""
    details = [{"column": f"c{i}", "method": "ks", "statistic": 0.5 - i / 100, "p_value": 1e-9}
               for i in range(columns)]
    payload = build_payload(
        status="firing", alert="feature-drift", monitor="credit-scoring", severity="critical",
        window_start=START, window_end=END, value=0.42, summary="3 of 8 columns drifted",
        details=details, started_at=END, url=None, idempotency_key="k" * 32,
    )
    payload.update(fields)
    return payload


def test_truncate_keeps_the_limit_and_marks_the_cut() -> None:
    """A long text is cut to exactly the limit, ending with an ellipsis; a short one is kept."""
    cut = truncate("x" * 5000, 1024)
    assert len(cut) == 1024 and cut.endswith("…")
    assert truncate("short", 1024) == "short"
    with pytest.raises(ValueError, match="at least 1"):
        truncate("x", 0)


def test_top_columns_counts_those_left_out_including_payload_omissions() -> None:
    """With 25 drifted columns (20 in the payload), 5 are shown and 20 counted as left out."""
    lines, omitted = top_columns(_payload(25), 5)
    assert [line.column for line in lines] == ["c0", "c1", "c2", "c3", "c4"]
    assert lines[0].text == "ks 0.5, p = 1e-09"
    assert omitted == 20
    assert columns_text(_payload(25), 5).endswith("… and 20 more columns")


def test_no_columns_gives_no_text() -> None:
    """A payload without details lists nothing."""
    assert columns_text(_payload(0), 5) == ""
    assert top_columns(_payload(0), 5) == ([], 0)


def test_titles_for_one_alert_and_a_group() -> None:
    """One alert is titled by status, name, severity and monitor; a group counts by status."""
    firing = _payload()
    resolved = _payload(alert="data-quality", status="resolved")
    assert alert_title(firing) == "FIRING feature-drift (critical) on credit-scoring"
    assert group_title([firing]) == alert_title(firing)
    assert group_title([firing, resolved]) == (
        "credit-scoring: FIRING 1 (feature-drift), RESOLVED 1 (data-quality)"
    )


def test_segment_label_shows_in_the_title() -> None:
    """A payload labelled with a segment names it, so per-segment alerts are told apart."""
    payload = _payload(labels={"segment": "state=CA", "team": "ml"})
    assert alert_title(payload).endswith("[state=CA]")
    assert identity_labels(payload) == {"monitor": "credit-scoring", "alert": "feature-drift",
                                        "severity": "critical", "segment": "state=CA",
                                        "team": "ml"}


def test_window_text_on_one_day_and_across_days() -> None:
    """Same-day windows show one date; windows across midnight show both."""
    assert window_text(_payload()) == "2026-11-24 10:00–11:00 UTC"
    spanning = _payload(window={"start": "2026-11-24T23:00:00Z", "end": "2026-11-25T01:00:00Z"})
    assert window_text(spanning) == "2026-11-24 23:00 – 2026-11-25 01:00 UTC"


def test_link_prefers_the_payload_url() -> None:
    """The alert's own url wins over the notifier's configured link."""
    assert link_of(_payload(), "https://dash.example/") == "https://dash.example/"
    assert link_of(_payload(url="https://run.example/1"), "https://dash.example/") == (
        "https://run.example/1"
    )
