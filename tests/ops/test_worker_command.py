"""`manage.py run_worker`: the task worker on its own, as production runs it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.ops.procs import ROOT, manage, production_env

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def test_it_refuses_to_send_mail_without_a_relay_in_production(tmp_path: Path) -> None:
    env = production_env(tmp_path, SECRET_KEY="k" * 20 + "worker-test-key-0123456789abcdefghij")
    done = manage(env, "run_worker")
    assert done.returncode != 0
    assert "madoguchi.E201" in done.stderr, done.stderr


def test_it_starts_stays_quiet_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        SECRET_KEY="worker-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT="9",
        ALLOWED_HOSTS="madoguchi.example.jp",
        MADOGUCHI_PLAIN_HTTP="1",
    )
    assert manage(env, "migrate", "--noinput", "-v0").returncode == 0
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "Periodic tasks are enabled" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
        started = log.read_text()
        time.sleep(2)
        assert log.read_text() == started  # idle: not a line more
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    text = log.read_text()
    assert "Shutting down gracefully" in text
    # Every log line (not the system check's report above them) starts with its UTC time.
    logged = [line for line in text.splitlines() if re.search(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)]
    assert len(logged) >= 4, text
    assert all(ISO_UTC.match(line) for line in logged), text
