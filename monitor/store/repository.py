"""Repository: what the monitor reads from and writes to its database.

``Store`` is the whole API: reference profiles, runs with their results, alert
states and the notification outbox. It takes and returns the records of
``monitor.records`` and raises ``StoreError`` for every database
failure; a method that fails has written nothing. ``open_store`` builds a
store from a database URL and brings the schema up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from monitor.errors import StoreError
from monitor.records import (
    FINISHED_RUN_STATUSES,
    RUN_STATUSES,
    AlertStateRecord,
    NewNotification,
    NewResult,
    NewRun,
    ResultRecord,
    RunRecord,
    StoredProfile,
)
from monitor.store.engine import create_store_engine, for_writing, store_errors
from monitor.store.migrate import ensure_schema
from monitor.store.models import (
    AlertStateRow,
    Base,
    OutboxRow,
    ProfileRow,
    ResultRow,
    RunReportRow,
    RunRow,
    as_utc,
    to_json,
)

__all__ = ["Store", "open_store"]

logger = logging.getLogger(__name__)

_PROFILE_ATTEMPTS = 5  # concurrent saves of one profile name retry when a version is taken


class _WindowTaken(Exception):
    """The run's window already has a run that is not a failure."""


class _Conflict(Exception):
    """A concurrent transaction inserted the same unique key first."""


def open_store(url: str, *, schema: str | None = None,
               auto_migrate: bool | None = None) -> Store:
    """Open the database at ``url`` with its schema at the revision this code needs.

    Args:
        url: a SQLAlchemy URL, e.g. ``sqlite:///monitor.db`` or
            ``postgresql+psycopg://user:password@host/db``.
        schema: the PostgreSQL schema of the monitor's tables
            (``MONITOR_DATABASE_SCHEMA``), created when missing; None: the
            connection's search path.
        auto_migrate: see ``ensure_schema``: by default SQLite is always
            upgraded, another database only while it is empty.

    Raises:
        StoreError: the database cannot be reached (the message names the URL
            without its password) or its schema is behind or unknown.
    """
    engine = create_store_engine(url, schema=schema)
    try:
        ensure_schema(engine, auto_migrate=auto_migrate)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


class Store:
    """The monitor's database: profiles, runs, results and alert states.

    One store may be shared by threads: every call runs in its own session
    and transaction. ``list_profiles`` leaves profile bodies out (``{}``);
    ``get_profile`` returns them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(for_writing(engine), expire_on_commit=False)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def ping(self) -> None:
        """Check the database answers; raise StoreError if it does not."""
        with store_errors(self.engine, "query the database"), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # -- profiles ---------------------------------------------------------

    def save_profile(
        self, name: str, body: dict[str, Any], content_hash: str, rows: int, now: datetime
    ) -> StoredProfile:
        """Store ``body`` as the next version of profile ``name``.

        Saving the content of the latest version again (same hash) stores
        nothing and returns that version, so the call is idempotent.
        """
        document = _document(body, f"the body of profile {name!r}")
        created_at = _aware(now, "now")
        for attempt in range(1, _PROFILE_ATTEMPTS + 1):
            try:
                with self._writing(f"save profile {name!r}") as session:
                    return _add_profile(session, name, document, content_hash, rows, created_at)
            except _Conflict:
                if attempt == _PROFILE_ATTEMPTS:
                    raise StoreError(
                        f"cannot save profile {name!r}: other writers keep taking its next"
                        " version; try again"
                    ) from None
        raise AssertionError("unreachable")

    def get_profile(self, name: str, version: int | None = None) -> StoredProfile | None:
        """Return version ``version`` of profile ``name`` (None: the latest), or None."""
        query = (
            _latest_profile(name)
            if version is None
            else select(ProfileRow).where(ProfileRow.name == name, ProfileRow.version == version)
        )
        with self._reading(f"read profile {name!r}") as session:
            row = session.scalars(query).first()
            return None if row is None else row.to_record()

    def list_profiles(self) -> list[StoredProfile]:
        """Return every version of every profile by name and version, bodies left empty."""
        query = (select(ProfileRow).options(defer(ProfileRow.body))
                 .order_by(ProfileRow.name, ProfileRow.version))
        with self._reading("list profiles") as session:
            return [row.to_record(with_body=False) for row in session.scalars(query)]

    # -- runs ---------------------------------------------------------------

    def get_run(
        self, monitor: str, window_start: datetime, window_end: datetime
    ) -> RunRecord | None:
        """Return the run of ``monitor`` for exactly that window, or None."""
        query = _run_of(monitor, window_start, window_end)
        with self._reading(f"read a run of monitor {monitor!r}") as session:
            row = session.scalars(query).first()
            return None if row is None else row.to_record()

    def save_run(
        self,
        run: NewRun,
        results: Sequence[NewResult],
        alert_states: Sequence[AlertStateRecord],
        notifications: Sequence[NewNotification],
        report: dict[str, Any] | None = None,
    ) -> RunRecord | None:
        """Store a run, its results, report, alert states and notifications in one transaction.

        Returns None and writes nothing when the window already has an ``ok``
        or ``no_data`` run (also when a concurrent writer got there first). A
        ``failed`` run of the window is replaced, so a failed window is retried.
        Notifications whose idempotency key is already in the outbox are skipped.
        """
        _check_run(run)
        documents = [_document(n.payload, f"notification {n.idempotency_key!r}")
                     for n in notifications]  # fmt: skip
        body = None if report is None else _document(report, "the run's report")
        try:
            with self._writing(f"save the run of monitor {run.monitor!r}") as session:
                row = _take_window(session, run)
                session.add_all(ResultRow.of(row.id, result) for result in results)
                if body is not None:
                    session.add(RunReportRow(run_id=row.id, body=body))
                session.flush()
                _upsert_alert_states(session, alert_states)
                _enqueue(session, notifications, documents)
                record = row.to_record()
        except _WindowTaken:
            logger.info(
                "window [%s, %s) of monitor %s is already done; run not stored",
                run.window_start.isoformat(), run.window_end.isoformat(), run.monitor,
            )  # fmt: skip
            return None
        logger.debug("stored run %d of monitor %s", record.id, record.monitor)
        return record

    def save_alerts(
        self, alert_states: Sequence[AlertStateRecord], notifications: Sequence[NewNotification]
    ) -> None:
        """Store alert states and their notifications in one transaction, without a run.

        For alerts that no run evaluates any more (their rule was removed).
        Notifications whose idempotency key is already in the outbox are skipped.
        """
        documents = [_document(n.payload, f"notification {n.idempotency_key!r}")
                     for n in notifications]  # fmt: skip
        with self._writing("save alert states") as session:
            _upsert_alert_states(session, alert_states)
            _enqueue(session, notifications, documents)

    def last_window_end(self, monitor: str) -> datetime | None:
        """Return the watermark: the latest window end among ``ok``/``no_data`` runs."""
        query = select(func.max(RunRow.window_end)).where(
            RunRow.monitor == monitor, RunRow.status.in_(FINISHED_RUN_STATUSES)
        )
        with self._reading(f"read the watermark of monitor {monitor!r}") as session:
            return session.scalar(query)

    def runs(self, monitor: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Return up to ``limit`` runs (of ``monitor``, or all), latest window first."""
        query = select(RunRow).order_by(RunRow.window_end.desc(), RunRow.id.desc()).limit(limit)
        if monitor is not None:
            query = query.where(RunRow.monitor == monitor)
        with self._reading("list runs") as session:
            return [row.to_record() for row in session.scalars(query)]

    def results(self, run_id: int) -> list[ResultRecord]:
        """Return the results of run ``run_id`` in the order they were saved."""
        query = select(ResultRow).where(ResultRow.run_id == run_id).order_by(ResultRow.id)
        with self._reading(f"read the results of run {run_id}") as session:
            return [row.to_record() for row in session.scalars(query)]

    # -- alerts -------------------------------------------------------------

    def alert_states(self, monitor: str) -> dict[str, AlertStateRecord]:
        """Return the alert states of ``monitor`` by alert key."""
        query = select(AlertStateRow).where(AlertStateRow.monitor == monitor)
        with self._reading(f"read the alert states of monitor {monitor!r}") as session:
            return {row.alert_key: row.to_record() for row in session.scalars(query)}

    # -- sessions -----------------------------------------------------------

    @contextmanager
    def _reading(self, action: str) -> Iterator[Session]:
        with store_errors(self.engine, action), self._reads() as session:
            yield session

    @contextmanager
    def _writing(self, action: str) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, else rolled back."""
        with store_errors(self.engine, action), self._writes.begin() as session:
            yield session


def _latest_profile(name: str) -> Select[ProfileRow]:
    newest_first = ProfileRow.version.desc()
    return select(ProfileRow).where(ProfileRow.name == name).order_by(newest_first).limit(1)


def _add_profile(
    session: Session, name: str, document: str, content_hash: str, rows: int, now: datetime
) -> StoredProfile:
    latest = session.scalars(_latest_profile(name)).first()
    if latest is not None and latest.content_hash == content_hash:
        return latest.to_record()
    row = ProfileRow(
        name=name, version=1 if latest is None else latest.version + 1,
        content_hash=content_hash, created_at=now, rows=rows, body=document,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise _Conflict from exc
    return row.to_record()


def _run_of(monitor: str, window_start: datetime, window_end: datetime) -> Select[RunRow]:
    return select(RunRow).where(RunRow.monitor == monitor, RunRow.window_start == window_start,
                                RunRow.window_end == window_end)


def _take_window(session: Session, run: NewRun) -> RunRow:
    """Insert the run, or replace a failed run of its window; raise _WindowTaken otherwise."""
    locked = _run_of(run.monitor, run.window_start, run.window_end).with_for_update()
    existing = session.scalars(locked).first()
    if existing is None:
        row = RunRow(attempts=1)
        row.fill(run)
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            # A concurrent writer inserted the window first (it waited for its commit).
            existing = session.scalars(locked).first()
            if existing is None:
                raise
    if existing.status in FINISHED_RUN_STATUSES:
        raise _WindowTaken
    session.execute(delete(ResultRow).where(ResultRow.run_id == existing.id))
    session.execute(delete(RunReportRow).where(RunReportRow.run_id == existing.id))
    existing.fill(run)
    existing.attempts += 1
    return existing


def _upsert_alert_states(session: Session, states: Sequence[AlertStateRecord]) -> None:
    rows = {state.alert_key: AlertStateRow.values_of(state) for state in states}
    if not rows:
        return
    statement = _insert(session, AlertStateRow).values(list(rows.values()))
    updates = {name: statement.excluded[name] for name in rows[next(iter(rows))]}
    del updates["alert_key"]
    session.execute(statement.on_conflict_do_update(index_elements=["alert_key"], set_=updates))


def _enqueue(
    session: Session, notifications: Sequence[NewNotification], documents: Sequence[str]
) -> None:
    """Insert outbox rows, skipping idempotency keys that are already there."""
    rows: dict[str, dict[str, Any]] = {}
    for notification, document in zip(notifications, documents, strict=True):
        rows.setdefault(notification.idempotency_key, {
            "idempotency_key": notification.idempotency_key,
            "notifier": notification.notifier,
            "payload": document,
            "created_at": notification.created_at,
            "attempts": 0,
            "next_attempt_at": notification.created_at,
        })  # fmt: skip
    if not rows:
        return
    statement = _insert(session, OutboxRow).values(list(rows.values()))
    session.execute(statement.on_conflict_do_nothing(index_elements=["idempotency_key"]))


def _insert(session: Session, model: type[Base]) -> Any:
    """An INSERT that can say ON CONFLICT (both supported databases have it)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _check_run(run: NewRun) -> None:
    for field in ("window_start", "window_end", "started_at", "finished_at"):
        _aware(getattr(run, field), field)
    if run.status not in RUN_STATUSES:
        raise StoreError(
            f"run status of monitor {run.monitor!r} must be one of"
            f" {', '.join(RUN_STATUSES)}, got {run.status!r}"
        )
    if _aware(run.window_end, "window_end") <= _aware(run.window_start, "window_start"):
        raise StoreError(
            f"window of monitor {run.monitor!r} must end after it starts, got"
            f" [{run.window_start.isoformat()}, {run.window_end.isoformat()})"
        )


def _aware(value: datetime, field: str) -> datetime:
    try:
        return as_utc(value)
    except ValueError as exc:
        raise StoreError(f"{field}: {exc}") from exc


def _document(value: dict[str, Any], what: str) -> str:
    try:
        return to_json(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} cannot be stored as JSON: {exc}") from exc
