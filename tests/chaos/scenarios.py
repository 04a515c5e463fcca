"""The chaos scenarios as functions of their lengths: short in the tests, long in the benchmark.

Each breaks one part around a live daemon (the webhook receiver, the
database, the daemon process itself), lets it recover, stops the daemon and
audits the database and the receiver's ledger (``world.audit``). Every
random choice (the drift plan, where a kill or a cut lands) comes from the
seeded generator it is given, so a failure can be replayed with its seed.

Delivery times are compressed 120-fold: retries start after 0.04 s instead
of 5 s and back off to 5 s instead of 10 minutes, so a 30-second receiver
outage stands for an hour.
"""

from __future__ import annotations

import json
import random
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.chaos.audit import Audit, audit
from tests.chaos.proxy import TcpProxy
from tests.chaos.world import WINDOW, Fleet, World, log_tails, wait_until, window_lines
from tests.processes import DaemonProcess
from tests.receivers import Reply

__all__ = ["COMPRESSION", "KILL_PHASES", "Outcome", "Probes", "kill_loop", "receiver_outage",
           "stop_cleanly", "store_outage"]

COMPRESSION = 120
MAX_DELAY = 600 / COMPRESSION
DELIVERY = {
    "MONITOR_DELIVERY_INITIAL_DELAY": str(5 / COMPRESSION),
    "MONITOR_DELIVERY_MAX_DELAY": str(MAX_DELAY),
    "MONITOR_DISPATCH_INTERVAL": "0.25",
}
KILL_PHASES = ("reading", "storing", "dispatching", "anywhere")
SLOW_PROBE = 2.0  # seconds: a /healthz answer slower than this is a failure


@dataclass
class Outcome:
    """One run of a scenario: the audit, how long recovery took, facts, and what went wrong."""

    scenario: str
    seed: int
    audit: Audit
    recovered_in: float
    facts: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """The problems and the facts, one line each."""
        found = self.audit
        lines = [f"{self.scenario}: {len(self.problems)} problems (seed {self.seed}; replay "
                 f"with MONITOR_CHAOS_SEED={self.seed})"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append(f"  windows {found.windows} ({found.retried_windows} tried more than "
                     f"once), transitions {found.transitions}, messages {found.sent}, HTTP "
                     f"requests {found.requests}, delivered {found.delivered}, lost "
                     f"{found.lost}, duplicated {found.duplicated}, recovered in "
                     f"{self.recovered_in:.1f}s")
        lines += [f"  {name}: {value}" for name, value in self.facts.items()]
        return "\n".join(lines)

    def report(self) -> str:
        """The summary and the daemons' log lines about the problems, for a failure message."""
        lines = [self.summary()]
        named = sorted({m for p in self.problems
                        for m in re.findall(r"\[(\S+Z),|\b([0-9a-f]{32})\b", p)})
        for start, key in named[:4]:
            lines.append(f"log lines about {'the window starting ' + start if start else key}:")
            found = [f"    {line}" for line in window_lines(self.logs, re.escape(start or key))]
            lines += found or ["    (no log line names it)"]
        lines.append(log_tails(self.logs))
        return "\n".join(lines)


def receiver_outage(world: World, rng: random.Random, outage: float) -> Outcome:
    """The receiver answers 503 for ``outage`` seconds while alerts fire and resolve.

    Afterwards every message must reach it once, within the longest backoff
    (plus a margin) of its return.
    """
    world.write_rules()
    fleet = Fleet(world, world.daemon_url("store"), **DELIVERY)
    receiver = world.receiver
    try:
        daemon, _ = fleet.start()
        wait_until(lambda: world.stored_windows() >= 3 and bool(receiver.accepted()), 60,
                   "windows and a first delivery before the outage", fleet.logs)
        receiver.failing = Reply(503)
        down_at, down = datetime.now(UTC), time.time()
        _hold(outage + rng.uniform(0, 2), daemon)
        receiver.failing = None
        up_at, up = datetime.now(UTC), time.time()
        held = _outbox_keys(world, created_before=up_at)
        held = [key for key in held if not any(t < down for t in receiver.acceptances(key))]
        wait_until(lambda: all(receiver.acceptances(key) for key in held),
                   MAX_DELAY * 1.1 + 30, "the messages held back to be delivered", fleet.logs,
                   world.undelivered_state)
        recovered = max((receiver.acceptances(key)[0] - up for key in held), default=0.0)
        stop_cleanly(world, fleet, daemon)
        statuses = Counter(_outbox_statuses(world, down_at, up_at))
    finally:
        fleet.close()
    found = audit(world)
    outcome = Outcome("receiver outage", world.seed, found, recovered, logs=fleet.logs)
    outcome.facts = {"outage (s)": round(up - down, 1), "messages held back": len(held),
                     "written during the outage": dict(statuses),
                     "503 answers": sum(a.status == 503 for a in receiver.answers)}
    if not (statuses["firing"] and statuses["resolved"]):
        outcome.problems.append(f"no alert both fired and resolved during the outage "
                                f"({dict(statuses)}): the scenario proved nothing")
    if recovered > MAX_DELAY * 1.1 + 10:
        outcome.problems.append(f"delivering the backlog took {recovered:.1f}s after the "
                                f"receiver came back, over the {MAX_DELAY:.0f}s backoff cap")
    outcome.problems += found.problems
    return outcome


def store_outage(world: World, rng: random.Random, outage: float, mode: str,
                 moment: str = "reading") -> Outcome:
    """The database goes away for ``outage`` seconds, then comes back.

    ``mode`` is ``cut`` (connections break, new ones are refused) or
    ``freeze`` (every byte is held: queries and connections hang). The
    outage starts at a random point of a read (``moment="reading"``) or as
    the receiver accepts a message, before the daemon records it
    (``"delivering"``). The daemon must stay up, answer /healthz quickly all
    along, say unready on /readyz and ready again, and end with every window
    stored once and every message delivered once.
    """
    server = make_url(world.url)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    proxy.start()
    world.write_rules(proxy)
    world.set_read_seconds(0.3)
    fleet = Fleet(world, world.daemon_url("store", proxy), MONITOR_LEASE_SECONDS="5", **DELIVERY)
    probes: Probes | None = None
    begin_outage = proxy.cut if mode == "cut" else proxy.freeze
    try:
        daemon, spawned = fleet.start()
        wait_until(lambda: world.stored_windows() >= 3 and daemon.get("/readyz")[0] == 200, 60,
                   "three windows and /readyz before the outage", fleet.logs)
        probes = Probes(daemon)
        if moment == "delivering":
            sprung = threading.Event()

            def trap() -> None:
                begin_outage()
                sprung.set()

            world.receiver.trap = trap
            wait_until(sprung.is_set, 60, "a message to deliver", fleet.logs)
        else:
            wait_until(lambda: world.reading(since=spawned), 30, "a read in progress",
                       fleet.logs)
            time.sleep(rng.uniform(0, 0.3))  # a random point of the read
            begin_outage()
        cut = time.time()
        _hold(outage, daemon)
        proxy.restore()
        restored_at, restored = datetime.now(UTC), time.time()
        wait_until(lambda: probes.answered("/readyz", 200, after=restored), 60,
                   "/readyz to answer 200 again", fleet.logs)
        wait_until(world.windows_stored_by(restored_at), 120,
                   "the windows of the outage to be stored", fleet.logs)
        recovered = time.time() - restored
        probes.stop()
        alive = daemon.process.poll() is None
        stop_cleanly(world, fleet, daemon)
    finally:
        if probes is not None:
            probes.stop()
        fleet.close()
        proxy.close()
    found = audit(world)
    outcome = Outcome(f"store outage ({mode} while {moment})", world.seed, found, recovered,
                      logs=fleet.logs)
    outcome.facts = {"outage (s)": round(restored - cut, 1), **probes.summary(cut, restored)}
    if not alive:
        outcome.problems.append("the daemon exited during the outage")
    outcome.problems += probes.problems(cut, restored)
    outcome.problems += found.problems
    return outcome


def kill_loop(world: World, rng: random.Random, kills: int,
              phases: tuple[str, ...] = KILL_PHASES) -> Outcome:
    """SIGKILL the daemon ``kills`` times and start it again each time, then audit.

    The first kill lands while the brand-new monitor reads its very first
    window; each later one lands in a phase drawn from ``phases``: while
    reading (a slow query), while storing (the runs table is locked so the
    store waits), while delivering (the receiver kills the daemon as it
    accepts a message), or anywhere (after a random delay).
    """
    world.write_rules()
    world.set_read_seconds(0.5)
    fleet = Fleet(world, world.daemon_url("store"), MONITOR_LEASE_SECONDS="3", **DELIVERY)
    landed: Counter[str] = Counter()
    try:
        daemon, spawned = fleet.start()
        wait_until(lambda: world.first_lease() is not None, 30, "the first lease", fleet.logs)
        first = world.first_lease()
        _kill_while_reading(world, fleet, daemon, spawned, rng)
        landed["reading the first window"] += 1
        for _ in range(kills - 1):
            phase = rng.choice(phases)
            daemon, spawned = fleet.start()
            landed[_kill(world, fleet, daemon, spawned, rng, phase)] += 1
        world.set_read_seconds(0)
        daemon, _ = fleet.start()
        began = time.time()
        wait_until(world.windows_stored_by(datetime.now(UTC) + 2 * WINDOW), 90,
                   "the daemon to catch up after the last kill", fleet.logs)
        world.drain(fleet.logs)
        recovered = time.time() - began
        stop_cleanly(world, fleet, daemon)
    finally:
        fleet.close()
    found = audit(world, first=first, kills=fleet.kills)
    outcome = Outcome("kill -9 loop", world.seed, found, recovered, logs=fleet.logs)
    outcome.facts = {"kills": len(fleet.kills), "landed": dict(landed),
                     "first window": str(first),
                     "re-sent after a kill (same webhook-id)": found.resent_after_kill}
    outcome.problems += found.problems
    return outcome


def stop_cleanly(world: World, fleet: Fleet, daemon: DaemonProcess) -> None:
    """Wait for an empty outbox, then SIGTERM: the daemon must exit 0.

    A run that finishes during the stop writes its messages but leaves them
    in the outbox for the next start; so start again until a stop leaves
    nothing behind, which also checks that the next start delivers them.
    """
    for _ in range(3):
        world.drain(fleet.logs)
        daemon.signal(signal.SIGTERM)
        status = daemon.wait(60)
        if status != 0:
            raise AssertionError(f"the daemon exited {status} after SIGTERM\n"
                                 f"{log_tails(fleet.logs)}")
        if world.undelivered()[0] == 0:
            return
        daemon, _ = fleet.start()
    raise AssertionError(f"three stops in a row left messages undelivered\n"
                         f"{world.undelivered_state()}\n{log_tails(fleet.logs)}")


def _kill(world: World, fleet: Fleet, daemon: DaemonProcess, spawned: datetime,
          rng: random.Random, phase: str) -> str:
    """Kill ``daemon`` in ``phase``; return where the kill landed."""
    if phase == "reading":
        _kill_while_reading(world, fleet, daemon, spawned, rng)
    elif phase == "storing":
        lock = world.locked_runs()
        try:
            wait_until(world.waiting_on_lock, 30, "the daemon to store a run", fleet.logs)
            fleet.kill(daemon)
        finally:
            lock.release()
    elif phase == "dispatching":
        sprung = threading.Event()

        def trap() -> None:
            fleet.kill(daemon)
            sprung.set()

        world.receiver.trap = trap
        began = time.monotonic()
        while not sprung.is_set() and time.monotonic() - began < 30:
            sprung.wait(0.2)
        if not sprung.is_set():  # no message to deliver in time: kill it anyway
            world.receiver.trap = None
            fleet.kill(daemon)
            return "anywhere (nothing to deliver)"
    else:
        time.sleep(rng.uniform(0.3, 6.0))  # a random point of whatever it is doing
        fleet.kill(daemon)
    return phase


def _kill_while_reading(world: World, fleet: Fleet, daemon: DaemonProcess, spawned: datetime,
                        rng: random.Random) -> None:
    wait_until(lambda: world.reading(since=spawned), 30, "a read in progress", fleet.logs)
    time.sleep(rng.uniform(0, 0.4))  # a random point of the 0.5 s read
    fleet.kill(daemon)


def _hold(seconds: float, daemon: DaemonProcess) -> None:
    """Let ``seconds`` pass; the daemon must live through them."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if daemon.process.poll() is not None:
            raise AssertionError(f"the daemon exited ({daemon.process.returncode}):\n"
                                 f"{log_tails([daemon.log_path])}")
        time.sleep(0.1)


def _outbox_keys(world: World, created_before: datetime) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT idempotency_key FROM outbox WHERE created_at "
                                         "< :t"), {"t": created_before}).scalars())


def _outbox_statuses(world: World, since: datetime, until: datetime) -> list[str]:
    with world.engine.connect() as conn:
        payloads = conn.execute(sa.text("SELECT payload FROM outbox WHERE created_at >= :a AND "
                                        "created_at < :b"), {"a": since, "b": until}).scalars()
        return [json.loads(payload)["status"] for payload in payloads]


@dataclass(frozen=True, slots=True)
class Probe:
    """One GET of a status page: when it was sent (Unix time), the answer, how long it took."""

    path: str
    at: float
    status: int
    seconds: float
    body: str


class Probes:
    """GET /healthz every 0.25 s and /readyz every 0.5 s, each on its own thread, as kubelet does.

    Each probe waits up to 10 s; an unanswered one is recorded with status 0.
    """

    def __init__(self, daemon: DaemonProcess, patience: float = 10.0) -> None:
        self.records: list[Probe] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._probe, args=(daemon, path, every,
                                                                    patience), daemon=True)
                         for path, every in (("/healthz", 0.25), ("/readyz", 0.5))]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop probing and wait for the probes in flight."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def answered(self, path: str, status: int, after: float) -> bool:
        """True once ``path`` answered ``status`` to a probe sent after ``after``."""
        return any(p.path == path and p.status == status and p.at >= after
                   for p in list(self.records))

    def summary(self, cut: float, restored: float) -> dict[str, object]:
        """Facts: how /healthz and /readyz answered before, during and after the outage."""
        facts: dict[str, object] = {}
        for path in ("/healthz", "/readyz"):
            probes = [p for p in self.records if p.path == path]
            during = [p for p in probes if cut <= p.at < restored]
            facts[f"{path} answers during the outage"] = dict(Counter(p.status for p in during))
            facts[f"{path} slowest answer (s)"] = round(max((p.seconds for p in probes),
                                                            default=0.0), 2)
        return facts

    def problems(self, cut: float, restored: float) -> list[str]:
        """What the probes saw that the daemon must not do."""
        found = []
        health = [p for p in self.records if p.path == "/healthz"]
        bad = [p for p in health if p.status != 200 or p.seconds > SLOW_PROBE]
        if bad:
            worst = max(bad, key=lambda p: p.seconds)
            found.append(
                f"/healthz failed {len(bad)} of {len(health)} probes (status != 200 or slower "
                f"than {SLOW_PROBE:.0f}s); the worst took {worst.seconds:.1f}s, sent "
                f"{worst.at - cut:+.1f}s from the outage start, status {worst.status} "
                f"({worst.body[:120]})")
        ready = [p for p in self.records if p.path == "/readyz"]
        during = [p for p in ready if cut <= p.at < restored]
        if not any(p.status == 503 for p in during):
            found.append(f"/readyz never answered 503 during the outage: answers "
                         f"{dict(Counter(p.status for p in during))} (0: no answer within "
                         f"10s)")
        elif not any(p.status == 503 and "database" in p.body for p in during):
            found.append("/readyz answered 503 during the outage without naming the database")
        if not any(p.status == 200 and p.at >= restored for p in ready):
            found.append("/readyz never answered 200 after the database came back")
        return found

    def _probe(self, daemon: DaemonProcess, path: str, every: float, patience: float) -> None:
        while not self._stop.is_set():
            sent, began = time.time(), time.monotonic()
            status, body = daemon.get(path, timeout=patience)
            self.records.append(Probe(path, sent, status, time.monotonic() - began, body))
            self._stop.wait(every)

