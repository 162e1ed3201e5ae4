"""`make bench`: bookings under load, SQLite and PostgreSQL side by side.

Starts a real server (`manage.py serve`, no worker) on each database in turn,
with rate limits off and one office of 50 seats per slot, and drives CLIENTS
threads that each post bookings for distinct people, with GET slots in between.
Each database gets at most TOTAL_BOOKINGS bookings or SECONDS of load, then
the server is stopped and its database dropped. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from tests.live_server import ROOT, LiveServer, make_live_server

CLIENTS = 16
TOTAL_BOOKINGS = 600
SECONDS = 20.0
READS_PER_BOOKING = 1
CAPACITY = 50
OFFICE = "bench"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
# Slots starting this soon are left alone: they could start during the run.
MARGIN = timedelta(minutes=10)

OFFICE_TOML = """
[[office]]
code = "{code}"
name = "ハローワーク負荷試験窓口"
phone = "092-000-0009"
timezone = "Asia/Tokyo"
capacity = {capacity}
horizon_days = 21
meeting_url = "https://meet.example.org/room/{{room}}"

[[office.slots]]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
times = ["00:15", "03:15", "06:15", "09:15", "12:15", "15:15", "18:15", "21:15"]
minutes = 30

[office.terms]
version = "bench-1"
effective_date = 2023-10-02
title = "負荷試験用の利用規約"
file = "{terms}"
"""


@dataclass
class Result:
    label: str
    seconds: float = 0.0
    booked: int = 0
    post_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    post_errors: Counter[str] = field(default_factory=Counter)
    get_errors: Counter[str] = field(default_factory=Counter)
    tracebacks: int = 0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN when there is nothing to rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def call(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body)
        conn.request(method, path, payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw[:200]
    finally:
        conn.close()


def person(number: int) -> dict[str, Any]:
    return {
        "name": f"負荷 花子{number}",
        "email": f"bench{number}@example.jp",
        # 090-1xxx-xxxx: a valid Japanese mobile number, distinct per person.
        "phone": f"090-1{number // 10000:03d}-{number % 10000:04d}",
        "agree_terms": True,
    }


def bookable_starts(server: LiveServer) -> list[str]:
    status, body = call(server, "GET", f"/api/v1/offices/{OFFICE}/slots")
    if status != 200:
        raise RuntimeError(f"GET slots answered {status}: {body}")
    soon = datetime.now().astimezone() + MARGIN
    return [s["start"] for s in body["slots"] if datetime.fromisoformat(s["start"]) > soon]


def drive(server: LiveServer, label: str) -> Result:
    starts = bookable_starts(server)
    if len(starts) * CAPACITY < TOTAL_BOOKINGS + CLIENTS:
        raise RuntimeError(f"only {len(starts)} slots ahead: not enough seats for the run")
    result = Result(label)
    slots_path = f"/api/v1/offices/{OFFICE}/slots"
    lock = threading.Lock()

    # Warm up every worker thread (imports, first connections), unmeasured.
    warm = [threading.Thread(target=call, args=(server, "GET", slots_path)) for _ in range(CLIENTS)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()

    numbers = itertools.count(1)
    # The clients and this thread: the clock starts when all are ready.
    barrier = threading.Barrier(CLIENTS + 1)
    deadline = 0.0

    def record(errors: Counter[str], key: str) -> None:
        with lock:
            errors[key] += 1

    def timed(method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        began = time.perf_counter()
        try:
            status, answer = call(server, method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            status, answer = 0, type(exc).__name__
        return status, answer, (time.perf_counter() - began) * 1000

    def client() -> None:
        barrier.wait(timeout=30)
        while time.monotonic() < deadline:
            with lock:
                number = next(numbers)
            if number > TOTAL_BOOKINGS:
                return
            start = starts[number % len(starts)]
            status, answer, ms = timed(
                "POST", "/api/v1/bookings", {"office": OFFICE, "start": start, **person(number)}
            )
            with lock:
                result.post_ms.append(ms)
            if status == 201:
                with lock:
                    result.booked += 1
            else:
                code = answer.get("error", {}).get("code", "") if isinstance(answer, dict) else answer
                record(result.post_errors, f"{status} {code}".strip())
            for _ in range(READS_PER_BOOKING):
                status, answer, ms = timed("GET", slots_path)
                with lock:
                    result.get_ms.append(ms)
                if status != 200:
                    record(result.get_errors, f"{status} {answer if status == 0 else ''}".strip())

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + SECONDS
    barrier.wait(timeout=30)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=SECONDS + 90)
    result.seconds = time.perf_counter() - began
    log = server.log_path.read_text(errors="replace")
    result.tracebacks = log.count("Traceback")
    return result


@contextmanager
def database_url(value: str | None) -> Iterator[None]:
    """make_live_server and LiveServer.close read the suite's DATABASE_URL."""
    saved = os.environ.get("DATABASE_URL")
    if value is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_POSTGRES
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.Error as exc:
        print(f"PostgreSQL is not reachable at {url} ({exc}): benchmarking SQLite only.", file=sys.stderr)
        return None


def run_one(label: str, url: str | None, office_file: Path, tmp: Path) -> Result:
    print(f"{label}: starting the server …", file=sys.stderr, flush=True)
    with database_url(url):
        server = make_live_server(
            tmp / label, offices_toml=office_file, extra_env={"MADOGUCHI_RATE_LIMITS": "off"}
        )
        try:
            server.start(worker=False)
            print(f"{label}: {CLIENTS} clients …", file=sys.stderr, flush=True)
            return drive(server, label)
        finally:
            server.close()


def table(results: list[Result]) -> str:
    rows: list[tuple[str, list[float]]] = [
        ("bookings/s", [r.booked / r.seconds if r.seconds else 0.0 for r in results]),
        ("POST bookings p50 ms", [percentile(r.post_ms, 50) for r in results]),
        ("POST bookings p99 ms", [percentile(r.post_ms, 99) for r in results]),
        ("GET slots p50 ms", [percentile(r.get_ms, 50) for r in results]),
        ("GET slots p99 ms", [percentile(r.get_ms, 99) for r in results]),
        ("bookings made", [float(r.booked) for r in results]),
        ("GET slots answered", [float(len(r.get_ms)) for r in results]),
        ("wall time s", [r.seconds for r in results]),
        ("POST errors", [float(sum(r.post_errors.values())) for r in results]),
        ("GET errors", [float(sum(r.get_errors.values())) for r in results]),
        ("server tracebacks", [float(r.tracebacks) for r in results]),
    ]
    header = ["metric", *(r.label for r in results)]
    if len(results) == 2:
        header.append("PG/SQLite")
    lines = [header]
    for name, values in rows:
        line = [name, *(f"{v:,.1f}" for v in values)]
        if len(results) == 2:
            line.append(f"{values[1] / values[0]:.2f}" if values[0] else "-")
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        for kind, errors in (("POST", r.post_errors), ("GET", r.get_errors)):
            if errors:
                out.append(f"{r.label} {kind} errors: {dict(errors)}")
    return "\n".join(out)


def _interrupt(signum: int, frame: object) -> None:
    # A TERM (e.g. from a CI timeout) unwinds through the finally blocks.
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    pg = postgres_url()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as name:
        tmp = Path(name)
        office_file = tmp / "office.toml"
        office_file.write_text(
            OFFICE_TOML.format(
                code=OFFICE, capacity=CAPACITY, terms=ROOT / "demo" / "terms" / "fukuoka-plaza.ja.txt"
            ),
            encoding="utf-8",
        )
        results.append(run_one("SQLite", None, office_file, tmp))
        if pg:
            results.append(run_one("PostgreSQL", pg, office_file, tmp))
    print(
        f"\nmadoguchi bench: {CLIENTS} clients, up to {TOTAL_BOOKINGS} bookings or {SECONDS:.0f} s per "
        f"database, {READS_PER_BOOKING} GET slots per booking; gunicorn 2 processes × 8 threads, "
        f"no worker, rate limits off, task queue: {'Redis' if os.environ.get('REDIS_URL') else 'SQLite'}\n"
    )
    print(table(results))
    failed = any(r.post_errors or r.get_errors or r.tracebacks for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
