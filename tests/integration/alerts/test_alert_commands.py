"""`monitor silence add|list|expire` and `monitor alerts` on real databases, in-process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.cli import main
from monitor.store import open_store
from monitor.store.outbox import OutboxQueue
from tests.integration.store.store_factories import alert_state, new_run, notification

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    """Run one command against ``url``; return status, stdout, stderr."""
    status = main(["--database-url", url, *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def firing(database_url: str) -> str:
    """A database with one firing alert, one pending, one dead and one pending message."""
    store = open_store(database_url)
    now = datetime.now(UTC)
    try:
        states = [alert_state("credit/feature-drift", state="firing", severity="critical",
                              announced=True, last_value=0.61),
                  alert_state("credit/data-quality", alert="data-quality")]
        store.save_run(new_run(), [], states, [notification("k1"), notification("k2")])
        dead = next(m for m in OutboxQueue(store).messages() if m.idempotency_key == "k2")
        OutboxQueue(store).mark_failed([dead.id], now, "HTTP 404 from hooks.example.com", None)
    finally:
        store.close()
    return database_url


def test_silence_add_list_expire(capsys, firing):
    """A silence is added, listed (table and JSON), expired once, and listed as expired."""
    status, out, err = run(capsys, firing, "silence", "add", "--alert", "feature-*", "--monitor",
                           "credit", "--for", "2h", "--reason", "retraining", "--by", "ana")
    assert status == 0, err
    assert out.startswith("silence 1 added: alert feature-*, monitor credit from ")
    assert "(2h)" in out
    assert "it mutes 1 firing alert(s) from their next window: credit/feature-drift" in out
    status, out, _ = run(capsys, firing, "silence", "list")
    assert status == 0 and "active" in out and "retraining" in out and "ana" in out
    _, out, _ = run(capsys, firing, "silence", "list", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["id"], listed["alert"], listed["status"]) == (1, "feature-*", "active")
    status, out, _ = run(capsys, firing, "silence", "expire", "1")
    assert status == 0 and out.startswith("silence 1 expired: alert feature-*, monitor credit")
    status, out, err = run(capsys, firing, "silence", "expire", "1", "9")
    assert status == 2
    assert "silence 1 already ended at" in err and "there is no silence 9" in err
    _, out, _ = run(capsys, firing, "silence", "list")
    assert out.strip() == "no silences active or upcoming"
    _, out, _ = run(capsys, firing, "silence", "list", "--all", "--format", "json")
    assert json.loads(out)[0]["status"] == "expired"


@pytest.mark.parametrize(("args", "message"), [
    (["--for", "2x"], "monitor: error: --for: invalid duration '2x'"),
    (["--until", "2020-01-01T00:00:00Z"], "monitor: error: the silence would end at "
     "2020-01-01T00:00:00Z, which has passed"),
    (["--for", "1h", "--reason", " "], "monitor: error: cannot add the silence: the reason is "
     "empty"),
])
def test_bad_silences_are_refused(capsys, database_url, args, message):
    """A bad duration, an end in the past or an empty reason: exit 2, nothing stored."""
    base = ["silence", "add", "--alert", "drift"]
    extra = [] if "--reason" in args else ["--reason", "why"]
    status, _, err = run(capsys, database_url, *base, *args, *extra)
    assert status == 2 and err.startswith(message)
    assert run(capsys, database_url, "silence", "list", "--all")[1].strip() == "no silences at all"


def test_silence_warns_when_nothing_matches(capsys, firing):
    """A silence for an alert never evaluated is stored, with a warning naming the known ones."""
    status, out, err = run(capsys, firing, "silence", "add", "--alert", "feature-drfit",
                           "--for", "1h", "--reason", "typo")
    assert status == 0 and out.startswith("silence 1 added")
    assert err.startswith("warning: no alert evaluated so far matches this silence (known: "
                          "credit/data-quality, credit/feature-drift)")


def test_alerts_lists_states_silences_and_outbox(capsys, firing):
    """`monitor alerts` shows firing and pending states, the silence muting one, the outbox."""
    until = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run(capsys, firing, "silence", "add", "--alert", "feature-drift", "--until", until,
        "--reason", "known")
    status, out, _ = run(capsys, firing, "alerts")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "ALERTS: 1 firing, 1 pending (--all shows inactive ones too)"
    assert lines[2].split()[:5] == ["credit", "feature-drift", "-", "critical", "firing"]
    assert lines[2].split()[-5:] == ["0.61", "silenced", "by", "silence", "1"]
    assert lines[3].split()[:5] == ["credit", "data-quality", "-", "-", "pending"]
    assert "SILENCES: 1 active, 0 other" in out
    assert "OUTBOX: 1 pending, 0 retrying, 1 dead, 0 delivered" in out
    assert any("dead" in line and "HTTP 404 from hooks.example.com" in line for line in lines)
    status, out, _ = run(capsys, firing, "alerts", "--format", "json")
    data = json.loads(out)
    assert [a["alert_key"] for a in data["alerts"]] == ["credit/feature-drift",
                                                        "credit/data-quality"]
    assert data["alerts"][0]["silenced_by"] == [1]
    assert data["outbox"]["counts"]["dead"] == 1
    assert {m["stage"] for m in data["outbox"]["undelivered"]} == {"dead", "pending"}
