"""The embedded task queue (no REDIS_URL): huey's SQLite storage, synced less often.

The queue only wakes the worker: every mail is a row of the outbox in the main database,
written with full sync in the transaction of its change, and the worker's sweep sends whatever
the queue lost (bookings.outbox). So a queue write need not wait for the disk at each commit,
as it otherwise would for every booking: in WAL mode `synchronous=NORMAL` keeps the file
intact through a power cut and may lose only the last wake-ups, which the sweep makes good.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class QueueStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class QueueHuey(SqliteHuey):
    storage_class = QueueStorage
