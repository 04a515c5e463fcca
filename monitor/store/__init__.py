"""Store: every run, result, alert state and notification, in SQLite or PostgreSQL.

``open_store(url)`` returns a ``Store`` whose schema is up to date; the store
takes and returns the frozen records defined here, never ORM rows.
"""

from monitor.store.migrate import current_revision, downgrade, head_revision, upgrade
from monitor.store.records import (
    AlertStateRecord,
    NewNotification,
    NewResult,
    NewRun,
    OutboxMessage,
    ResultRecord,
    RunRecord,
    StoredProfile,
)
from monitor.store.repository import Store, open_store

__all__ = [
    "AlertStateRecord",
    "NewNotification",
    "NewResult",
    "NewRun",
    "OutboxMessage",
    "ResultRecord",
    "RunRecord",
    "Store",
    "StoredProfile",
    "current_revision",
    "downgrade",
    "head_revision",
    "open_store",
    "upgrade",
]
