"""Secrets planted everywhere a daemon touches never come out anywhere an operator looks.

Passwords in a database URL, a token in a webhook URL's query string, a
bearer token in a header, a signing secret, the value of a secret
environment variable: after failed runs, error alerts and refused
deliveries, none appears in the JSON log, /status, /metrics, `monitor
history`, `monitor alerts`, or a full dump of the database.
"""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys

import pytest

from tests.processes import monitor_env
from tests.receivers import Receiver, Reply

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

PASSWORD = "PlantedPw-7431"
TOKEN = "PlantedTok-2290"
BEARER = "PlantedBearer-8812"
SIGNING = "PlantedSigning-5517"
ENV_KEY = "PlantedEnv-6603"
SIGNING_SECRET = "whsec_" + base64.b64encode(SIGNING.encode()).decode()
SECRETS = [PASSWORD, TOKEN, BEARER, SIGNING, ENV_KEY, SIGNING_SECRET]

RULES = """\
notifiers:
  hook:
    type: webhook
    url: "{receiver}/hook?token={token}"
    secret: {signing}
    headers: {{Authorization: "Bearer {bearer}", X-Api-Key: "${{MONITOR_PLANTED_API_KEY}}"}}
monitors:
  - name: leaky
    schedule: {{every: 1s}}
    window: 2s
    source:
      type: sql
      url: "{source}"
      query: "SELECT logged_at, score FROM no_such_table
        WHERE logged_at >= :start AND logged_at < :end"
      timestamp: logged_at
    reference: {{path: ../train.parquet}}
    alerts:
      - name: failing
        when: drift_share > 2
        on_error: alert
        notify: [hook]
"""


def test_no_planted_secret_leaks(live_logs, start_daemon, tmp_path, receiver: Receiver):
    from sqlalchemy.engine import make_url

    # PostgreSQL here trusts local connections: the password is sent and ignored.
    source = make_url(live_logs).set(password=PASSWORD).render_as_string(hide_password=False)
    receiver.script = [Reply(503)] * 3  # refused deliveries store their errors
    (tmp_path / "rules" / "live.yaml").write_text(RULES.format(
        receiver=receiver.url, token=TOKEN, signing=SIGNING_SECRET, bearer=BEARER,
        source=source))
    database = f"sqlite:///{tmp_path / 'monitor.db'}"
    daemon = start_daemon(database, MONITOR_LOG_FORMAT="json", MONITOR_LOG_LEVEL="DEBUG",
                          MONITOR_PLANTED_API_KEY=ENV_KEY, MONITOR_DISPATCH_INTERVAL="0.3",
                          MONITOR_DELIVERY_INITIAL_DELAY="0.2")
    daemon.wait_for(lambda: len(receiver.requests) >= 4, 60, "refused then delivered alerts")
    assert any(r.headers.get("Authorization") == f"Bearer {BEARER}" for r in receiver.requests)

    env = monitor_env(MONITOR_DATABASE_URL=database)
    seen = {
        "log": daemon.log(),
        "/status": daemon.get("/status")[1],
        "/metrics": daemon.get("/metrics")[1],
        "/healthz": daemon.get("/healthz")[1],
    }
    for command in (["history", "--limit", "50"], ["alerts"]):
        result = subprocess.run([sys.executable, "-m", "monitor", *command], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=120)
        seen[" ".join(command)] = result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        seen["database dump"] = "\n".join(db.iterdump())
    assert "no_such_table" in seen["database dump"]  # the failed runs' errors are stored
    assert "503" in seen["database dump"]  # and the refused deliveries'
    leaks = [(secret, where) for secret in SECRETS for where, text in seen.items()
             if secret in text]
    assert leaks == []
