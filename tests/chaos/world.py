"""The world a chaos scenario breaks: live logs with drift switched on and off, a receiver, daemons.

A PostgreSQL schema holds the daemon's store and a ``prediction_log`` table
with 20 rows a second from two minutes ago to well ahead of now, so 2-second
windows complete every two seconds. The scores of some windows are shifted
by three standard deviations, in runs of one to three windows chosen by a
seeded generator, so the ``drift`` alert fires and resolves all along. A
``control`` table sets how long each read sleeps in the database (a slow
query gives a kill or a cut time to land in the middle of a read).

``LedgerReceiver`` remembers every answer it gave, can fail every request
(an outage) and can spring a trap on the next one (a kill or a cut while the
daemon is delivering). ``Fleet`` starts and kills the daemons of a scenario.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from monitor.errors import MonitorError
from monitor.store.leases import Leases
from monitor.windows import EPOCH, Window, align, latest_complete_window
from tests.chaos.proxy import TcpProxy
from tests.processes import DaemonProcess
from tests.receivers import Received, Receiver, Reply, free_port

__all__ = [
    "MONITOR",
    "ROWS_PER_WINDOW",
    "WINDOW",
    "Answer",
    "Fleet",
    "LedgerReceiver",
    "World",
    "log_tails",
    "wait_until",
    "window_lines",
]

MONITOR = "chaos"
WINDOW = timedelta(seconds=2)
ROWS_PER_SECOND = 20
ROWS_PER_WINDOW = 40
SHIFT = 3.0  # standard deviations: KS on 40 rows against the reference always sees it

QUERY = ("SELECT p.logged_at, p.score FROM prediction_log p, "
         "(SELECT pg_sleep(c.read_seconds) FROM control c) s "
         "WHERE p.logged_at >= :start AND p.logged_at < :end")

RULES = """\
notifiers:
  hook: {{type: webhook, url: "{hook}", timeout: 2}}
monitors:
  - name: {monitor}
    schedule: {{every: 1s}}
    window: 2s
    source:
      type: sql
      url: "{source}"
      query: "{query}"
      timestamp: logged_at
    reference: {{path: ../train.parquet}}
    alerts:
      - {{name: drift, when: drift_share > 0.5, notify: [hook]}}
"""


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               logs: Sequence[Path] = (), state: Callable[[], str] | None = None) -> float:
    """Poll ``condition`` until it holds and return the seconds it took.

    Else fail, saying what was awaited, the ``state`` of things and the logs.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if condition():
            return time.monotonic() - began
        time.sleep(0.1)
    shown = f"{state()}\n" if state is not None else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{shown}{log_tails(logs)}")


def log_tails(logs: Sequence[Path], lines: int = 40) -> str:
    """The last lines of each log, for a failure message."""
    shown = []
    for path in logs[-3:]:
        text = path.read_text().splitlines() if path.exists() else []
        shown.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
    return "\n".join(shown)


@dataclass(frozen=True, slots=True)
class Answer:
    """One request the receiver answered: when (Unix time), its webhook-id, the status given."""

    at: float
    key: str
    status: int


class LedgerReceiver(Receiver):
    """A receiver that keeps a ledger of its answers, fails on demand and springs traps."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.answers: list[Answer] = []
        self.failing: Reply | None = None  # while set, every request gets this answer
        self.trap: Callable[[], None] | None = None  # run once, on the next accepted request

    def accepted(self) -> Counter[str]:
        """How many times each webhook-id was answered 2xx."""
        with self._lock:
            return Counter(a.key for a in self.answers if 200 <= a.status < 300)

    def acceptances(self, key: str) -> list[float]:
        """When ``key`` was answered 2xx, oldest first."""
        with self._lock:
            return [a.at for a in self.answers if a.key == key and 200 <= a.status < 300]

    def _record(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            reply = self.failing or Reply()
            trap = None
            if reply.status < 300:
                trap, self.trap = self.trap, None
            self.answers.append(Answer(time.time(), request.headers.get("webhook-id", ""),
                                       reply.status))
        if trap is not None:
            trap()  # the message counts as accepted: the receiver had processed it
        return reply


@dataclass
class World:
    """One scenario's database schema, files, receiver and seeded drift plan."""

    root: Path
    url: str  # the schema, directly (the test's own connection)
    seed: int
    receiver: LedgerReceiver
    drifting: dict[int, bool]  # window index (since the epoch) -> scores shifted
    engine: sa.Engine
    tag: str = field(default_factory=lambda: secrets.token_hex(4))

    @classmethod
    def create(cls, root: Path, url: str, seed: int, minutes: float) -> World:
        """Fill the schema with logs from 2 minutes ago to ``minutes`` ahead; start the receiver."""
        rng = np.random.default_rng(seed)
        start = align(datetime.now(UTC) - timedelta(minutes=2), WINDOW)
        windows = int((minutes + 2) * 60 / WINDOW.total_seconds())
        first = (start - EPOCH) // WINDOW
        drifting, on = {}, bool(rng.integers(2))
        k = first
        while k < first + windows:
            for _ in range(int(rng.integers(1, 4))):
                drifting[k] = on
                k += 1
            on = not on
        rows = windows * ROWS_PER_WINDOW
        stamps = [start + timedelta(microseconds=i * 1_000_000 // ROWS_PER_SECOND)
                  for i in range(rows)]
        shift = np.array([SHIFT if drifting[first + i // ROWS_PER_WINDOW] else 0.0
                          for i in range(rows)])
        logs = pd.DataFrame({"logged_at": stamps, "score": rng.normal(0, 1, rows) + shift})
        engine = sa.create_engine(url)
        logs.to_sql("prediction_log", engine, index=False, chunksize=5000, method="multi")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE INDEX ON prediction_log (logged_at)"))
            conn.execute(sa.text("CREATE TABLE control (read_seconds double precision)"))
            conn.execute(sa.text("INSERT INTO control VALUES (0)"))
        (root / "rules").mkdir(exist_ok=True)
        pd.DataFrame({"score": rng.normal(0, 1, 2000)}).to_parquet(root / "train.parquet")
        receiver = LedgerReceiver(free_port())
        receiver.start()
        return cls(root, url, seed, receiver, drifting, engine)

    def close(self) -> None:
        """Stop the receiver and release the test's connections."""
        self.receiver.stop()
        self.engine.dispose()

    # -- the daemon's view ----------------------------------------------------

    def daemon_url(self, role: str, proxy: TcpProxy | None = None) -> str:
        """The schema URL the daemon uses as ``role`` (store or source), through ``proxy``.

        The application name lets ``pg_stat_activity`` tell the daemon's
        reads and writes apart from everything else.
        """
        url = make_url(self.url)
        if proxy is not None:
            url = url.set(host=proxy.address[0], port=proxy.port)
        url = url.update_query_dict({"application_name": self.application(role)})
        return url.render_as_string(hide_password=False)

    def application(self, role: str) -> str:
        """The PostgreSQL application name of the daemon's ``role`` connections."""
        return f"chaos_{role}_{self.tag}"

    def write_rules(self, proxy: TcpProxy | None = None) -> None:
        """The rule file: one monitor over the logs, its drift alert sent to the receiver."""
        text = RULES.format(hook=f"{self.receiver.url}/hook", monitor=MONITOR,
                            source=self.daemon_url("source", proxy), query=QUERY)
        (self.root / "rules" / "chaos.yaml").write_text(text)

    def set_read_seconds(self, seconds: float) -> None:
        """How long each read of a window sleeps in the database from now on."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("UPDATE control SET read_seconds = :s"), {"s": seconds})

    # -- what the database says -----------------------------------------------

    def watermark(self) -> datetime | None:
        """The end of the newest window stored (ok or no_data)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT max(window_end) FROM runs WHERE monitor = :m AND status <> 'failed'"),
                {"m": MONITOR}).scalar()

    def stored_windows(self) -> int:
        """Windows stored so far, failed ones left out."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM runs WHERE monitor = :m AND status <> 'failed'"),
                {"m": MONITOR}).scalar() or 0)

    def undelivered(self) -> tuple[int, datetime | None]:
        """Outbox messages not delivered yet, and the latest claim among them."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT count(*), max(claimed_until) FROM outbox WHERE delivered_at IS NULL"
            )).one()
        return int(row[0]), row[1]

    def undelivered_state(self) -> str:
        """The undelivered messages, one line each, for a failure message."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT idempotency_key, created_at, attempts, claimed_until, dead_at, last_error "
                "FROM outbox WHERE delivered_at IS NULL ORDER BY id")).all()
        lines = [f"undelivered message {key}: written {created:%H:%M:%S.%f}, {attempts} "
                 f"attempts, claimed until {claimed and f'{claimed:%H:%M:%S.%f}'}, dead "
                 f"{dead is not None}, last error {error}; accepted by the receiver at "
                 f"{[f'{t:.3f}' for t in self.receiver.acceptances(key)]} (Unix time)"
                 for key, created, attempts, claimed, dead, error in rows]
        return "\n".join(lines) or "every message is delivered"

    def drain(self, logs: Sequence[Path], patience: float = 60) -> float:
        """Wait until every message is delivered; return the seconds it took.

        A message claimed by a dispatcher that died or lost the database
        waits for its claim to lapse (2 minutes), so the patience stretches to
        the latest claim.
        """
        began = time.monotonic()
        while True:
            count, claimed = self.undelivered()
            if count == 0:
                return time.monotonic() - began
            lapsed = claimed is None or datetime.now(UTC) > claimed + timedelta(seconds=15)
            if time.monotonic() - began > patience and lapsed:
                pytest.fail(f"timed out after {time.monotonic() - began:.0f}s waiting for every "
                            f"message to be delivered\n{self.undelivered_state()}\n"
                            f"{log_tails(logs)}")
            time.sleep(0.1)

    def reading(self, since: datetime) -> bool:
        """True while a read of the daemon started after ``since`` runs in the database."""
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.text(
                # A server-side cursor: the sleep shows as the FETCH of the DECLAREd query.
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
                "AND state = 'active' AND query_start > :since"),
                {"app": self.application("source"), "since": since}).scalar())

    def waiting_on_lock(self) -> bool:
        """True while one of the daemon's store connections waits for a lock."""
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
                "AND wait_event_type = 'Lock'"), {"app": self.application("store")}).scalar())

    def first_lease(self) -> Window | None:
        """The window the monitor's first lease covers, once there is one."""
        try:
            held = Leases(self.engine).held(MONITOR)
        except MonitorError:  # the daemon has not created its tables yet
            return None
        return Window(held[0].window_start, held[0].window_end) if held else None

    def windows_stored_by(self, moment: datetime) -> Callable[[], bool]:
        """A condition: every window complete at ``moment`` is stored."""
        target = latest_complete_window(moment, WINDOW, timedelta(0)).end
        return lambda: (self.watermark() or EPOCH) >= target

    def locked_runs(self) -> _RunsLock:
        """Hold the runs table so the daemon's next store of a run waits (and can be killed)."""
        return _RunsLock(self.engine)


class _RunsLock:
    """``LOCK TABLE runs IN EXCLUSIVE MODE`` held until released: reads pass, stores wait."""

    def __init__(self, engine: sa.Engine) -> None:
        self._conn = engine.connect()
        self._conn.begin()
        self._conn.execute(sa.text("LOCK TABLE runs IN EXCLUSIVE MODE"))

    def release(self) -> None:
        self._conn.rollback()
        self._conn.close()


class Fleet:
    """The daemons a scenario starts on one world; whatever still runs is killed at the end."""

    def __init__(self, world: World, database_url: str, **settings: str) -> None:
        self.world, self.database_url, self.settings = world, database_url, settings
        self.daemons: list[DaemonProcess] = []
        self.kills: list[float] = []  # Unix times of SIGKILLs
        self._lock = threading.Lock()

    @property
    def logs(self) -> list[Path]:
        """The log file of every daemon started, in order."""
        return [d.log_path for d in self.daemons]

    def start(self) -> tuple[DaemonProcess, datetime]:
        """Start a daemon and wait for its /healthz; return it and when it was spawned."""
        spawned = datetime.now(UTC)
        daemon = DaemonProcess.spawn(self.world.root, self.database_url, **self.settings)
        self.daemons.append(daemon)
        daemon.wait_for(lambda: daemon.get("/healthz")[0] == 200, 60, "/healthz")
        return daemon, spawned

    def kill(self, daemon: DaemonProcess) -> None:
        """SIGKILL, and wait until the process is gone."""
        with self._lock:
            self.kills.append(time.time())
            daemon.process.kill()
            daemon.process.wait()

    def close(self) -> None:
        """Kill every daemon still running."""
        for daemon in self.daemons:
            if daemon.process.poll() is None:
                daemon.process.kill()
                daemon.process.wait()


def window_lines(logs: Sequence[Path], pattern: str, limit: int = 30) -> Iterator[str]:
    """Log lines matching ``pattern`` (a regular expression), prefixed by their file's name."""
    regex, shown = re.compile(pattern), 0
    for path in logs:
        for line in path.read_text().splitlines() if path.exists() else []:
            if regex.search(line) and shown < limit:
                shown += 1
                yield f"{path.name}: {line}"
