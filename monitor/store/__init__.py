"""Store: every run, result, alert state and notification, in SQLite or PostgreSQL.

``open_store(url)`` returns a ``Store`` whose schema is up to date. Owns the
tables (``models``), the engine set-up (``engine``), the migrations
(``migrate``), runs, results and alert states (``repository``), the outbox
(``outbox``: the only way to read or settle it), silences and listings
(``alerting``), window leases (``leases``), the console's history reads
(``history``) and the latest run of each monitor (``latest``). It takes and returns the
frozen records of ``monitor.records``, never ORM rows.

It imports the foundation only: never the analysis, alerts, sources, rules
or daemon, which call it.
"""

from monitor.store.migrate import current_revision, downgrade, head_revision, upgrade
from monitor.store.repository import Store, open_store

__all__ = [
    "Store",
    "current_revision",
    "downgrade",
    "head_revision",
    "open_store",
    "upgrade",
]
