"""One holder at a time, across threads, processes and (on PostgreSQL) app nodes.

The lock belongs to the database the site writes to, whatever the task queue is:

- PostgreSQL: a session advisory lock. Every node shares it, and it goes away
  with the connection, so a worker killed mid-run cannot leave it behind.
  (It needs a real session: behind a pooler in transaction mode it would not hold.)
- SQLite: an exclusive `flock` on a file beside the database. A SQLite database
  lives on one machine, so every process that writes to it can see the file;
  the kernel drops the lock when its holder dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


def _advisory_key(name: str) -> int:
    # A signed 64-bit key derived from the name: the same on every node.
    return int.from_bytes(hashlib.sha256(f"madoguchi:{name}".encode()).digest()[:8], "big", signed=True)


def _lock_file(name: str) -> Path:
    database = str(connection.settings_dict["NAME"])
    if database in ("", ":memory:") or database.startswith("file:"):
        return Path(settings.VAR_DIR) / f"{name}.lock"
    return Path(f"{database}.{name}.lock")


@contextmanager
def only_one(name: str) -> Iterator[bool]:
    """Yield True to the one holder of `name`, False to everyone else while it is held."""
    if connection.vendor == "postgresql":
        key = _advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            got = bool(cursor.fetchone()[0])
        try:
            yield got
        finally:
            if got:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
                except DatabaseError:
                    # The connection is gone, and the lock went with it.
                    log.warning("could not release the %s lock; its connection is gone", name)
        return
    path = _lock_file(name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
