"""The embedded task queue only wakes the worker (the outbox is the truth): it syncs its file
at checkpoints, not at every commit (madoguchi/task_queue.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from madoguchi.task_queue import QueueHuey

NORMAL = 1  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL


def test_the_embedded_queue_keeps_its_file_in_wal_mode_synced_at_checkpoints(tmp_path: Path) -> None:
    queue = QueueHuey("madoguchi-test", filename=str(tmp_path / "tasks.sqlite3"))
    conn = queue.storage.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == NORMAL


def test_it_is_the_queue_of_the_embedded_default() -> None:
    if settings.REDIS_URL:
        assert settings.HUEY["huey_class"] == "huey.RedisHuey"
    else:
        assert settings.HUEY["huey_class"] == "madoguchi.task_queue.QueueHuey"
