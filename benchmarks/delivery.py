"""Outbox delivery throughput and the cost of the Alertmanager re-send loop.

Writes runs of alert messages to a fresh SQLite database (or to a throw-away
schema, dropped afterwards, of the PostgreSQL URL given), then measures,
against a real HTTP receiver on 127.0.0.1:

- webhook delivery: one signed request per alert;
- slack delivery: the alerts of each run grouped into one request;
- the Alertmanager re-send loop: its first call (reading the whole history of
  the notifier's outbox rows) and a later call (reading only new rows).

    .venv/bin/python benchmarks/delivery.py
    .venv/bin/python benchmarks/delivery.py --database-url \
        postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from monitor.alerts.delivery.dispatcher import Dispatcher
from monitor.alerts.delivery.resend import AlertmanagerResender
from monitor.alerts.notifiers.alertmanager import AlertmanagerNotifier
from monitor.alerts.notifiers.slack import SlackNotifier
from monitor.alerts.notifiers.webhook import WebhookNotifier
from monitor.store.repository import Store, open_store
from tests.integration.alerts.outbox_rows import firing_state, save_alerts
from tests.receivers import Receiver, free_port

T0 = datetime(2026, 11, 24, tzinfo=UTC)


def _fill(store: Store, notifier: str, runs: int, alerts: int, monitors: int) -> int:
    """Store `runs` runs (spread over `monitors` monitors) of `alerts` firing alerts each."""
    names = [f"alert-{i}" for i in range(alerts)]
    for run in range(runs):
        created = T0 + timedelta(seconds=run)
        monitor = f"m-{notifier}-{run % monitors}"
        states = [firing_state(n, monitor, created) for n in names]
        save_alerts(store, notifier, names, created, hour=run, monitor=monitor, states=states)
    return runs * alerts


def _drain(store: Store, notifiers: dict, label: str, requests: Receiver) -> None:
    """Dispatch until the outbox is empty; print messages, requests and the rate."""
    dispatcher = Dispatcher(store, notifiers)
    before = len(requests.requests)
    start = time.perf_counter()
    delivered = 0
    while (report := dispatcher.dispatch(T0 + timedelta(days=1), limit=100)).claimed:
        delivered += report.delivered
    seconds = time.perf_counter() - start
    sent = len(requests.requests) - before
    print(f"{label:<28} {delivered:>7} messages in {sent:>6} requests  {seconds:7.2f} s  "
          f"{delivered / seconds:8.0f} messages/s")


@contextmanager
def _database(url: str | None, folder: str) -> Iterator[str]:
    """A SQLite file in folder, or a fresh schema of the PostgreSQL server at url."""
    if url is None:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    schema = f"bench_delivery_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        scoped = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=4, help="alerts per run")
    parser.add_argument("--monitors", type=int, default=100,
                        help="monitors the Alertmanager runs are spread over")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    receiver = Receiver(free_port())
    receiver.start()
    with tempfile.TemporaryDirectory() as folder, _database(args.database_url, folder) as url:
        store = open_store(url)
        try:
            where = url.split("@")[-1].split("?")[0]
            print(f"database {where}, {args.runs} runs × {args.alerts} alerts")
            webhook = WebhookNotifier(WebhookNotifier.Config(
                type="webhook", url=receiver.url, secret="bench-secret"))
            slack = SlackNotifier(SlackNotifier.Config(type="slack", url=receiver.url))
            _fill(store, "hook", args.runs, args.alerts, 1)
            _drain(store, {"hook": webhook}, "webhook (one per alert)", receiver)
            _fill(store, "chat", args.runs, args.alerts, 1)
            _drain(store, {"chat": slack}, "slack (one per run)", receiver)
            n = _fill(store, "am", args.runs, args.alerts, args.monitors)
            manager = AlertmanagerNotifier(AlertmanagerNotifier.Config(
                type="alertmanager", url=receiver.url))
            resender = AlertmanagerResender(store)
            for label, at in (("first", T0), ("later", T0 + timedelta(minutes=1))):
                start = time.perf_counter()
                report = resender.resend({"am": manager}, at)
                seconds = time.perf_counter() - start
                print(f"alertmanager re-send, {label:<6} {report.firing:>5} alerts re-posted "
                      f"({n} rows, {args.monitors} monitors)  {seconds:7.3f} s")
        finally:
            store.close()
            receiver.stop()


if __name__ == "__main__":
    main()
