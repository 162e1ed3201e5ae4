"""The task worker: huey's consumer, with periodic jobs that run once per minute across nodes.

Every `run_worker` process runs a scheduler. Left as it is, each scheduler
would enqueue each periodic job once a minute, so N workers would run every
job N times (N reminder sweeps, N retention runs). Here a scheduler first
claims the minute in the task queue's own storage with `put_if_empty` — the
atomic "set if absent" that huey's `lock_task` is built on (HSETNX on Redis,
an INSERT on SQLite) — and only the scheduler that wins the claim enqueues that
minute's periodic jobs. Workers share the queue by definition, so they share
the claim; one worker stopping leaves the claims to the others at the next
minute, with no lease to expire.

A lock such as `lock_task` alone would not do: it stops two runs overlapping,
not the second of two enqueued copies running right after the first.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from huey.api import Huey, PeriodicTask
from huey.consumer import Consumer, Scheduler

log = logging.getLogger("madoguchi.worker")

CLAIM_PREFIX = "madoguchi.periodic-minute."
# Claims are tiny; keep the last few (a scheduler may run a little late), drop older ones.
CLAIMS_KEPT = timedelta(minutes=10)


def minute_of(moment: datetime) -> datetime:
    """The naive UTC minute huey's crontabs are matched against (huey runs in UTC)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.replace(tzinfo=None, second=0, microsecond=0)


def claim_key(minute: datetime) -> str:
    return f"{CLAIM_PREFIX}{minute:%Y-%m-%dT%H:%M}"


def claim_minute(huey: Huey, minute: datetime, *, owner: str) -> bool:
    """True for exactly one caller per minute across every worker sharing this queue."""
    if not huey.put_if_empty(claim_key(minute), owner):
        return False
    for back in range(int(CLAIMS_KEPT.total_seconds() // 60), int(CLAIMS_KEPT.total_seconds() // 60) + 10):
        huey.storage.delete_data(claim_key(minute - timedelta(minutes=back)))
    return True


def enqueue_periodic(huey: Huey, minute: datetime, *, owner: str) -> list[PeriodicTask]:
    """Enqueue the periodic jobs due at `minute`, if this caller wins the minute."""
    if not claim_minute(huey, minute, owner=owner):
        return []
    due = list(huey.read_periodic(minute))
    for task in due:
        huey.enqueue(task)
    return due


# After a stall (a suspended machine), catch up this many minutes at most, as huey skips them.
CATCH_UP = 5


class OncePerMinuteScheduler(Scheduler):
    """Huey's scheduler, claiming each minute before it enqueues that minute's periodic jobs.

    It keeps huey's rhythm (a look at start-up, then every 60 s), and each look covers every
    minute since the last one: a look that falls a second late, into the next minute, must
    not skip the minute in between (a daily job would be lost for a day).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.last_minute: datetime | None = None

    def minutes_due(self, minute: datetime) -> list[datetime]:
        last = self.last_minute
        if last is None or minute - last > timedelta(minutes=CATCH_UP):
            return [minute]
        count = int((minute - last) / timedelta(minutes=1))
        return [last + timedelta(minutes=step) for step in range(1, count + 1)]

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        minute = minute_of(now or datetime.now(UTC))
        for due in self.minutes_due(minute):
            try:
                enqueue_periodic(self.huey, due, owner=self.owner)
            except Exception:
                self._logger.exception("could not enqueue the periodic jobs of %s", due)
        self.last_minute = max(minute, self.last_minute or minute)


class WorkerConsumer(Consumer):
    scheduler_class = OncePerMinuteScheduler


class QuietPeriodic(logging.Filter):
    """Drop huey's routine lines about periodic jobs, so that an idle worker prints nothing.

    Errors are kept, and so are the lines about mail and other one-off tasks.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if any(isinstance(arg, PeriodicTask) for arg in args):
            return False
        message = record.getMessage() if record.levelno <= logging.DEBUG else str(record.msg)
        return not message.startswith("Checking periodic tasks")
