"""Periodic jobs run once per minute however many workers run (madoguchi/worker.py)."""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import ForkSafeFlag

from madoguchi.worker import CLAIM_PREFIX, OncePerMinuteScheduler, claim_key, enqueue_periodic

MINUTE = datetime(2026, 12, 1, 8, 15)  # naive UTC, as huey's crontabs see it


def with_jobs(huey: Huey) -> Huey:
    """The same periodic jobs every worker process registers (as bookings/tasks.py does)."""

    @huey.periodic_task(crontab(minute="*"), name="every_minute")
    def every_minute() -> None: ...

    @huey.periodic_task(crontab(minute="15", hour="8"), name="daily")
    def daily() -> None: ...

    return huey


def queued(huey: Huey) -> Counter[str]:
    return Counter(task.name for task in (huey.dequeue() for _ in range(huey.pending_count())) if task)


@pytest.fixture(params=["sqlite", "redis"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Huey, Huey]]:
    """Two workers' views of one queue, as two processes would have them."""
    name = f"periodic-test-{uuid.uuid4().hex[:8]}"
    if request.param == "sqlite":
        path = str(tmp_path / "tasks.sqlite3")
        yield with_jobs(SqliteHuey(name, filename=path)), with_jobs(SqliteHuey(name, filename=path))
        return
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    probe = redis.Redis.from_url(url, socket_timeout=2)
    try:
        probe.ping()
    except redis.RedisError as exc:
        probe.close()
        if os.environ.get("CI") == "1" or os.environ.get("MADOGUCHI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Redis unreachable: {exc!r}")
        pytest.skip(f"Redis unreachable: {exc!r}")
    first, second = with_jobs(RedisHuey(name, url=url)), with_jobs(RedisHuey(name, url=url))
    try:
        yield first, second
    finally:
        first.storage.flush_all()
        for client in (probe, first.storage.conn, second.storage.conn):
            client.close()
            client.connection_pool.disconnect()


def test_it_enqueues_each_minute_s_jobs_once_whichever_worker_asks(workers: tuple[Huey, Huey]) -> None:
    first, second = workers
    assert {t.name for t in enqueue_periodic(first, MINUTE, owner="node1")} == {"every_minute", "daily"}
    assert enqueue_periodic(second, MINUTE, owner="node2") == []
    assert enqueue_periodic(first, MINUTE, owner="node1") == []
    # The next minute is claimed afresh, by whichever scheduler comes first.
    later = MINUTE + timedelta(minutes=1)
    assert [t.name for t in enqueue_periodic(second, later, owner="node2")] == ["every_minute"]
    assert enqueue_periodic(first, later, owner="node1") == []
    assert queued(first) == {"every_minute": 2, "daily": 1}


def test_it_gives_a_minute_to_one_of_many_racing_schedulers(workers: tuple[Huey, Huey]) -> None:
    first, second = workers
    flag = ForkSafeFlag()
    schedulers = [OncePerMinuteScheduler(h, flag, 1, True) for h in (first, second) * 4]
    barrier = threading.Barrier(len(schedulers))

    def tick(scheduler: OncePerMinuteScheduler) -> None:
        barrier.wait(timeout=10)
        scheduler.enqueue_periodic_tasks(MINUTE)

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert queued(first) == {"every_minute": 1, "daily": 1}


def test_it_forgets_old_claims(workers: tuple[Huey, Huey]) -> None:
    first, _ = workers
    for step in range(40):
        enqueue_periodic(first, MINUTE + timedelta(minutes=step), owner="node1")
    kept = [
        step
        for step in range(40)
        if first.storage.has_data_for_key(claim_key(MINUTE + timedelta(minutes=step)))
    ]
    assert kept == list(range(30, 40))
    assert claim_key(MINUTE).startswith(CLAIM_PREFIX)


def test_it_covers_a_minute_its_looks_stepped_over(workers: tuple[Huey, Huey]) -> None:
    first, _ = workers
    scheduler = OncePerMinuteScheduler(first, ForkSafeFlag(), 1, True)
    # Looks 60 s apart, the second one a second late: 08:15:59.5, then 08:17:00.5.
    scheduler.enqueue_periodic_tasks(MINUTE.replace(second=59, microsecond=500000))
    scheduler.enqueue_periodic_tasks((MINUTE + timedelta(minutes=2)).replace(microsecond=500000))
    assert queued(first) == {"every_minute": 3, "daily": 1}  # 08:15, 08:16 and 08:17
    # The same minute again: nothing more.
    scheduler.enqueue_periodic_tasks((MINUTE + timedelta(minutes=2)).replace(second=30))
    assert queued(first) == {}


def test_it_skips_a_long_stall_rather_than_flood_the_queue() -> None:
    scheduler = OncePerMinuteScheduler(with_jobs(MemoryHuey("stall")), ForkSafeFlag(), 1, True)
    assert scheduler.minutes_due(MINUTE) == [MINUTE]
    scheduler.last_minute = MINUTE
    later = MINUTE + timedelta(hours=3)
    assert scheduler.minutes_due(later) == [later]
