"""A real madoguchi server process for tests that cross the network.

It runs `manage.py serve` (gunicorn and, unless told otherwise, the huey
worker) on a free port, with its own var/ and its own database: a SQLite file,
or a fresh PostgreSQL database when the suite's DATABASE_URL is PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def suite_database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def uses_postgres() -> bool:
    return suite_database_url().startswith(("postgres://", "postgresql://"))


def _fresh_postgres_database() -> tuple[str, str]:
    base = suite_database_url()
    name = f"madoguchi_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name, name


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(suite_database_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    var_dir: Path
    process: subprocess.Popen[bytes] | None = None
    pg_name: str | None = None
    log_path: Path = field(default_factory=Path)
    # A task worker of its own (`manage.py run_worker`), beside a `serve --no-worker`.
    worker_process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self, *, worker: bool = True, timeout: float = 30) -> None:
        args = [sys.executable, "manage.py", "serve", "--bind", self.url.removeprefix("http://")]
        if not worker:
            args.append("--no-worker")
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            # A process group of its own, so a test can crash the whole server at once.
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/offices", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer in {timeout}s: {self.log()}")

    @property
    def worker_log_path(self) -> Path:
        return self.log_path.with_name("worker.log")

    def start_worker(self, *args: str) -> None:
        """`manage.py run_worker` as a process of its own (its log: worker_log_path)."""
        with self.worker_log_path.open("ab") as log:
            self.worker_process = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def worker_log(self) -> str:
        path = self.worker_log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for process in (self.process, self.worker_process):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.process = None
        self.worker_process = None

    def close(self) -> None:
        self.stop()
        if self.pg_name:
            _drop_postgres_database(self.pg_name)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


def make_live_server(
    tmp: Path,
    *,
    offices_toml: Path,
    extra_env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> LiveServer:
    """Create the database and load the offices; call .start() to serve.

    With `database_url`, the server uses that database as it is (another server's, say:
    the caller creates and drops it) and nothing is migrated or loaded.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    pg_name = None
    shared = database_url is not None
    if database_url is None:
        if uses_postgres():
            database_url, pg_name = _fresh_postgres_database()
        else:
            database_url = f"sqlite:///{tmp / 'live.sqlite3'}"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
            "MADOGUCHI_VAR_DIR": str(tmp),
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "DEBUG": "0",
            "SECRET_KEY": "live-test-" + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MADOGUCHI_SECURE_COOKIES": "0",
            "MADOGUCHI_PLAIN_HTTP": "1",  # SPEC §3: plain http with DEBUG off, no https redirect
            "MADOGUCHI_RATE_LIMITS": "off",
            "MADOGUCHI_BASE_URL": f"http://127.0.0.1:{port}",
            # With REDIS_URL set, a queue of its own: no stale jobs from other runs.
            "MADOGUCHI_QUEUE_NAME": f"madoguchi-test-{uuid.uuid4().hex[:8]}",
        }
    )
    env.update(extra_env or {})
    if env["DEBUG"] != "1" and not env.get("EMAIL_HOST"):
        # With DEBUG off `serve` refuses to start without a mail relay (SPEC §3). Tests that
        # read the mail pass their SMTP sink's address; for the others, a port nothing
        # listens on: the worker's sends fail and are retried, which those tests ignore.
        env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(free_port())})
    server = LiveServer(
        url=f"http://127.0.0.1:{port}", env=env, var_dir=tmp, pg_name=pg_name, log_path=tmp / "server.log"
    )
    if not shared:
        server.manage("migrate", "--noinput", "-v0")
        server.manage("load_offices", str(offices_toml))
    return server
