"""A backup taken during a booking rush restores into a fresh database with every booking
confirmed before it began, and nothing half-written (issue 9; docs/operations.md).

On SQLite `backup` uses the online backup API; on PostgreSQL `pg_dump` (the suite's
DATABASE_URL decides, as for every live test).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.live.faults import FaultySink, Rush, Worker, audit, inconsistencies
from tests.live.mailflow import OFFICE_FILE, Client, isolated_redis, slots
from tests.live_server import ROOT, LiveServer, make_live_server, suite_database_url, uses_postgres

pytestmark = pytest.mark.live


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[LiveServer, Worker, FaultySink]]:
    with FaultySink() as sink, isolated_redis() as redis_env:
        sink.start()
        server = make_live_server(
            tmp_path / "live",
            offices_toml=OFFICE_FILE,
            extra_env={**sink.env, **redis_env, "MADOGUCHI_PLAIN_HTTP": "1"},
        )
        worker = Worker(server)
        try:
            server.start(worker=False)
            worker.start()
            yield server, worker, sink
        finally:
            worker.stop()
            server.close()


@pytest.fixture
def fresh_place(tmp_path: Path, running: tuple[LiveServer, Worker, FaultySink]) -> Iterator[LiveServer]:
    """An empty var/ and an empty database, configured like the live server but sharing nothing."""
    server = running[0]
    var = tmp_path / "restored"
    var.mkdir()
    env = {**server.env, "MADOGUCHI_VAR_DIR": str(var)}
    pg_name = None
    if uses_postgres():
        pg_name = f"madoguchi_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(suite_database_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = suite_database_url().rsplit("/", 1)[0] + "/" + pg_name
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'restored.sqlite3'}"
    place = LiveServer(url="", env=env, var_dir=var, pg_name=pg_name, log_path=var / "server.log")
    try:
        yield place
    finally:
        place.close()


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_backup_taken_during_a_rush_restores_every_booking_confirmed_before_it(
    running: tuple[LiveServer, Worker, FaultySink], fresh_place: LiveServer, tmp_path: Path
) -> None:
    server, _worker, sink = running
    after = datetime.now().astimezone() + timedelta(days=2)
    starts = [s for s in slots(Client(server.url)) if datetime.fromisoformat(s) > after]
    backup_file = tmp_path / ("madoguchi.dump" if uses_postgres() else "madoguchi.sqlite3")

    with Rush(server, sink, starts, clients=6) as rush:
        rush.wait_until(lambda seen: len(seen.confirmed) >= 5, timeout=25, what="five confirmed bookings")
        began = time.monotonic()
        taken = manage(server.env, "backup", "--output", str(backup_file))
        ended = time.monotonic()
        # Writers went on during the backup, and after it.
        rush.wait_until(
            lambda seen: any(at > ended + 2 for at in seen.confirmed.values()),
            timeout=20,
            what="later confirmations",
        )
    seen = rush.seen
    assert seen.unexpected == []
    assert "backup written to" in taken.stdout
    confirmed_before = seen.confirmed_before(began)
    booked_before = {bid for bid, b in seen.booked.items() if b.answered < began}
    # Answered 2 s after the backup had ended: committed after its snapshot.
    confirmed_after = {bid for bid, at in seen.confirmed.items() if at > ended + 2}
    assert len(confirmed_before) >= 5

    restored = manage(fresh_place.env, "restore", str(backup_file))
    assert "restored" in restored.stdout
    state = audit(fresh_place)
    rows = {b["id"]: b for b in state["bookings"]}
    assert confirmed_before <= {bid for bid, b in rows.items() if b["status"] == "confirmed"}
    assert booked_before <= set(rows)
    assert inconsistencies(state) == []
    # The backup is one moment: what was confirmed after it ended is not confirmed in it.
    assert confirmed_after
    assert not any(rows.get(bid, {}).get("status") == "confirmed" for bid in confirmed_after)
    live = audit(server)
    assert set(rows) <= {b["id"] for b in live["bookings"]}
    print(
        f"backup in {ended - began:.1f}s: {len(rows)} of {len(live['bookings'])} bookings, "
        f"{len(confirmed_before)} confirmed before it began, all restored"
    )


def test_restore_refuses_a_database_that_holds_data(running, tmp_path: Path) -> None:
    server = running[0]
    backup_file = tmp_path / ("x.dump" if uses_postgres() else "x.sqlite3")
    manage(server.env, "backup", "-o", str(backup_file))
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup_file)],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "--replace" in done.stderr
    # And a backup never overwrites one.
    again = subprocess.run(
        [sys.executable, "manage.py", "backup", "-o", str(backup_file)],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0 and "exists already" in again.stderr
    assert os.path.getsize(backup_file) > 0
