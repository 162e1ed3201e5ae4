"""`make bench`: madoguchi against a floor, on SQLite and PostgreSQL, in one table.

For each database a real server is started the way app nodes run (`manage.py serve
--no-worker`: gunicorn, 2 processes × 8 threads), with rate limits off and the bench floor's
URLs mounted beside the site (bench/floor.py, via DJANGO_SETTINGS_MODULE=bench.settings).
Every figure is measured in the same run, on the same server and database, for madoguchi and
for the floor, and the table gives their ratio:

- availability: GET /api/v1/offices/{code}/slots and the office page for the whole horizon
  of an office whose coming slots already carry bookings, warm (16 clients) and cold (the
  first read of an office, one client);
- growth: the same two reads with 1, 50 and 540 offices, then with 200,000 past bookings
  inserted straight into the database; the ratio is against the 1-office figure;
- booking rush: 16 and 60 clients posting bookings for distinct people, all on one slot at a
  time (50 seats, 60 requests per slot, so the last ones meet a full slot) or spread over
  every slot; each run on an office of its own; overbooked slots are counted in the database;
- memory: the largest resident set of one app process after the run.

PostgreSQL runs in a fresh database next to DATABASE_URL when that is PostgreSQL, else next
to postgres://postgres@127.0.0.1:5432/test; it uses REDIS_URL when set, as a deployment
would. SQLite runs with the embedded defaults. BENCH_QUICK=1 shortens every run.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from tests.live_server import ROOT, LiveServer, make_live_server

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUSH_SECONDS = 2.0 if QUICK else 4.0
READ_SECONDS = 1.5 if QUICK else 3.0
READ_CLIENTS = 16
ROUNDS = 3  # alternating turns of madoguchi and the floor per read figure
RUSH_CLIENTS = (16, 60)
COLD_OFFICES = 12 if QUICK else 30  # per read and per side
PAST_BOOKINGS = 200_000
FUTURE_PER_SLOT = 20  # bookings already in each coming slot of the office that is read
CAPACITY = 50
PER_SLOT_REQUESTS = 60  # "one slot": 60 requests for its 50 seats, then the next slot
READ_OFFICE = "bench"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
MARGIN = timedelta(minutes=10)  # slots starting this soon are left alone

OFFICE_TOML = """
[[office]]
code = "{code}"
name = "ハローワーク負荷試験窓口"
phone = "092-000-0009"
timezone = "Asia/Tokyo"
capacity = {capacity}
horizon_days = 60
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
class Load:
    """What one load run saw."""

    seconds: float = 0.0
    ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    other_errors: int = 0  # 5xx seen in other turns of the same figure

    @property
    def ok_per_second(self) -> float:
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        return ok / self.seconds if self.seconds else 0.0

    @property
    def created_per_second(self) -> float:
        return self.statuses[201] / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        own = sum(n for status, n in self.statuses.items() if status >= 500 or status == 0)
        return own + self.other_errors

    def p(self, percent: float) -> float:
        return percentile(self.ms, percent)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN when there is nothing to rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Client:
    """One keep-alive connection, reopened after a failure."""

    def __init__(self, server: LiveServer) -> None:
        url = urlsplit(server.url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
            raw = response.read()
            if response.will_close:
                self.close()
            return response.status, raw
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


Request = tuple[str, str, Any]


def load(
    server: LiveServer, *, clients: int, seconds: float, request: Callable[[int], Request | None]
) -> Load:
    """`clients` threads send request(0), request(1), … until `seconds` pass or it says None."""
    result = Load()
    lock = threading.Lock()
    numbers = itertools.count()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        me = Client(server)
        barrier.wait(timeout=30)
        try:
            while time.monotonic() < deadline[0]:
                with lock:
                    number = next(numbers)
                what = request(number)
                if what is None:
                    return
                began = time.perf_counter()
                status, _ = me.call(*what)
                ms = (time.perf_counter() - began) * 1000
                with lock:
                    result.ms.append(ms)
                    result.statuses[status] += 1
        finally:
            me.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    barrier.wait(timeout=30)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + 90)
    result.seconds = time.perf_counter() - began
    return result


def person(number: int) -> dict[str, Any]:
    return {
        "name": f"負荷 花子{number}",
        "email": f"bench{number}@example.jp",
        # 090-1xxx-xxxx: a valid Japanese mobile number, distinct per person.
        "phone": f"090-1{number // 10000:03d}-{number % 10000:04d}",
        "agree_terms": True,
    }


@dataclass
class Row:
    db: str
    section: str
    what: str
    ours: float
    floor: float | None
    ratio: float | None
    target: str = ""
    ok: bool | None = None
    detail: str = ""


class Bench:
    def __init__(self, label: str, server: LiveServer) -> None:
        self.label = label
        self.server = server
        self.rows: list[Row] = []
        self.starts: list[str] = []

    def seed(self, *args: str) -> str:
        return run_module(self.server, "bench.seed", *args)

    def add(self, *args: Any, **kwargs: Any) -> None:
        row = Row(self.label, *args, **kwargs)
        self.rows.append(row)
        note(f"{self.label}: {row.section} {row.what}: {row.ours:,.1f} / {row.floor or 0:,.1f} {row.detail}")

    def read(self, path: str, seconds: float = READ_SECONDS) -> Load:
        load(self.server, clients=READ_CLIENTS, seconds=0.3, request=lambda n: ("GET", path, None))
        return load(self.server, clients=READ_CLIENTS, seconds=seconds, request=lambda n: ("GET", path, None))

    def pair(self, ours: str, floor: str, seconds: float = READ_SECONDS) -> tuple[Load, Load]:
        """madoguchi and the floor in ROUNDS alternating turns; each side's best turn counts.

        The machine may be busy with other work: a turn that met a burst of it says less
        about the code than the best turn does.
        """
        turns: tuple[list[Load], list[Load]] = ([], [])
        for _ in range(ROUNDS):
            turns[0].append(self.read(ours, seconds / ROUNDS))
            turns[1].append(self.read(floor, seconds / ROUNDS))
        a, f = (max(side, key=lambda r: r.ok_per_second) for side in turns)
        # 5xx from every turn count, not only from the best one.
        a.other_errors = sum(r.server_errors for r in turns[0] if r is not a)
        return a, f

    # availability --------------------------------------------------------------------------
    def availability(self) -> None:
        for name, ours, floor in self.read_paths(READ_OFFICE):
            a, f = self.pair(ours, floor)
            self.add(
                "availability",
                f"{name} warm, {READ_CLIENTS} clients (req/s)",
                a.ok_per_second,
                f.ok_per_second,
                a.ok_per_second / f.ok_per_second if f.ok_per_second else None,
                "≥0.8",
                a.ok_per_second >= 0.8 * f.ok_per_second and not a.server_errors,
                f"p50 {a.p(50):.1f}/{f.p(50):.1f} ms, p99 {a.p(99):.1f}/{f.p(99):.1f} ms, "
                f"5xx {a.server_errors}",
            )

    def cold(self, offices: list[str]) -> None:
        """The first read of an office: one client, each office once."""
        chunks = [offices[i::4] for i in range(4)]
        for index, (name, _, _) in enumerate(self.read_paths(READ_OFFICE)):
            results = []
            for side in (0, 1):
                codes = chunks[index * 2 + side]
                me = Client(self.server)
                ms, errors = [], 0
                for code in codes:
                    path = self.read_paths(code)[index][1 + side]
                    began = time.perf_counter()
                    status, _ = me.call("GET", path)
                    ms.append((time.perf_counter() - began) * 1000)
                    errors += status != 200
                me.close()
                results.append((percentile(ms, 50), errors))
            (a, a_err), (f, f_err) = results
            self.add(
                "availability",
                f"{name} cold, first read of an office (p50 ms)",
                a,
                f,
                f / a if a else None,
                "",
                None,
                f"errors {a_err}/{f_err}",
            )

    @staticmethod
    def read_paths(code: str) -> list[tuple[str, str, str]]:
        return [
            ("GET /slots", f"/api/v1/offices/{code}/slots", f"/bench-floor/offices/{code}/slots"),
            ("office page", f"/o/{code}/", f"/bench-floor/o/{code}/"),
        ]

    # growth --------------------------------------------------------------------------------
    def growth(self) -> None:
        base: dict[str, tuple[float, float]] = {}
        seconds = READ_SECONDS * 0.7
        steps = [("1 office", None), ("50 offices", 49), ("540 offices", 490), ("540 + 200k past", None)]
        for label, more in steps:
            if more:
                self.seed("offices", str(more), "--like", READ_OFFICE, "--prefix", "grow")
            if label == "540 offices":
                new = [f"grow-{n}" for n in range(50, 50 + 8 * COLD_OFFICES)]
                self.cold(new)
            if label.endswith("past"):
                began = time.monotonic()
                self.seed("past", str(PAST_BOOKINGS), "--office", READ_OFFICE)
                note(f"{self.label}: {PAST_BOOKINGS:,} past bookings in {time.monotonic() - began:.0f} s")
            for name, ours, floor in self.read_paths(READ_OFFICE):
                a, f = self.pair(ours, floor, seconds)
                # The floor, measured in the same turns, is the control for whatever else the
                # machine was doing: growth is madoguchi's share of the floor at 1 office over
                # its share now. The plain slowdown of madoguchi alone is shown beside it.
                share = a.ok_per_second / f.ok_per_second if f.ok_per_second else 0.0
                base.setdefault(name, (a.ok_per_second, share))
                growth = base[name][1] / share if share else None
                plain = base[name][0] / a.ok_per_second if a.ok_per_second else float("nan")
                self.add(
                    "growth",
                    f"{name}, {label} (req/s)",
                    a.ok_per_second,
                    f.ok_per_second,
                    growth,
                    "≤1.2 of 1 office",
                    growth is not None and growth <= 1.2 and not a.server_errors,
                    f"plain slowdown {plain:.2f}, p50 {a.p(50):.1f}/{f.p(50):.1f} ms, 5xx {a.server_errors}",
                )

    # booking rush --------------------------------------------------------------------------
    def rush(self) -> None:
        runs = [(c, shape) for c in RUSH_CLIENTS for shape in ("one slot", "spread")]
        self.seed("offices", str(2 * len(runs)), "--like", READ_OFFICE, "--prefix", "rush")
        offices = iter(f"rush-{n}" for n in itertools.count(1))
        soon = datetime.now().astimezone() + MARGIN + timedelta(seconds=2 * RUSH_SECONDS * len(runs) + 60)
        starts = [s for s in self.starts if datetime.fromisoformat(s) > soon]
        for clients, shape in runs:
            loads = []
            for path in ("/bench-floor/bookings", "/api/v1/bookings"):
                code = next(offices)
                if shape == "one slot":

                    def slot(n: int) -> str:
                        return starts[n // PER_SLOT_REQUESTS]

                else:

                    def slot(n: int) -> str:
                        return starts[n % len(starts)]

                def request(n: int, path: str = path, code: str = code, slot: Any = slot) -> Request | None:
                    if n // PER_SLOT_REQUESTS >= len(starts):
                        return None
                    return ("POST", path, {"office": code, "start": slot(n), **person(n)})

                loads.append(load(self.server, clients=clients, seconds=RUSH_SECONDS, request=request))
            f, a = loads
            self.add(
                "booking rush",
                f"{clients} clients, {shape} (bookings/s)",
                a.created_per_second,
                f.created_per_second,
                a.created_per_second / f.created_per_second if f.created_per_second else None,
                "≥0.7",
                a.created_per_second >= 0.7 * f.created_per_second and not a.server_errors,
                f"p50 {a.p(50):.1f}/{f.p(50):.1f} ms, p99 {a.p(99):.1f}/{f.p(99):.1f} ms, "
                f"5xx {a.server_errors}/{f.server_errors}, answers {dict(a.statuses)}",
            )
        found = json.loads(self.seed("check"))
        over = sum(v["overbooked"] for v in found.values())
        self.add(
            "booking rush",
            "overbooked slots, all runs",
            float(over),
            None,
            None,
            "0",
            over == 0,
            f"bookings held {sum(v['holding'] for v in found.values()):,}",
        )

    def memory(self) -> None:
        rss = worker_rss_mb(self.server)
        self.add("memory", "RSS of one app process after the run (MB)", rss, None, None, "", None)

    def tracebacks(self) -> None:
        count = self.server.log_path.read_text(errors="replace").count("Traceback")
        self.add("errors", "tracebacks in the server log", float(count), None, None, "0", count == 0)


def worker_rss_mb(server: LiveServer) -> float:
    """The largest resident set among the processes the server started (its app workers)."""
    assert server.process is not None
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    # serve → gunicorn master → workers, however deep: every descendant counts.
    found, todo = [], [server.process.pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return max((rss.get(pid, 0) for pid in found[1:]), default=0) / 1024


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """make_live_server and LiveServer.close read the suite's DATABASE_URL (and REDIS_URL)."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_POSTGRES
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.Error as exc:
        note(f"PostgreSQL is not reachable at {url} ({exc}): benchmarking SQLite only.")
        return None


def run_module(server: LiveServer, module: str, *args: str) -> str:
    """`python -m module args…` with the server's environment (its database); its output."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def run_one(label: str, env: dict[str, str | None], office_file: Path, tmp: Path) -> list[Row]:
    note(f"{label}: setting up …")
    with environment(**env):
        server = make_live_server(
            tmp / label,
            offices_toml=office_file,
            extra_env={"MADOGUCHI_RATE_LIMITS": "off", "DJANGO_SETTINGS_MODULE": "bench.settings"},
        )
        try:
            bench = Bench(label, server)
            bench.seed("future", str(FUTURE_PER_SLOT), "--office", READ_OFFICE)
            server.start(worker=False, timeout=180)
            status, raw = Client(server).call("GET", f"/api/v1/offices/{READ_OFFICE}/slots")
            if status != 200:
                raise RuntimeError(f"GET slots answered {status}: {raw[:200]!r}")
            bench.starts = [s["start"] for s in json.loads(raw)["slots"]]
            sections = os.environ.get("BENCH_SECTIONS", "availability,growth,rush")
            if "availability" in sections:
                bench.availability()
            if "growth" in sections:
                bench.growth()
            if "rush" in sections:
                bench.rush()
            bench.memory()
            bench.tracebacks()
            return bench.rows
        finally:
            server.close()


def table(rows: list[Row]) -> str:
    header = [
        "database",
        "section",
        "what",
        "madoguchi",
        "floor",
        "ratio",
        "target",
        "",
        "p50/p99 ms etc. (madoguchi/floor)",
    ]
    lines = [header]
    for r in rows:
        lines.append(
            [
                r.db,
                r.section,
                r.what,
                f"{r.ours:,.1f}",
                "-" if r.floor is None else f"{r.floor:,.1f}",
                "-" if r.ratio is None else f"{r.ratio:.2f}",
                r.target,
                {True: "ok", False: "MISS", None: ""}[r.ok],
                r.detail,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {3, 4, 5}
    out = [
        "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _interrupt(signum: int, frame: object) -> None:
    # A TERM (e.g. from a CI timeout) unwinds through the finally blocks.
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    began = time.monotonic()
    pg = postgres_url()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as name:
        tmp = Path(name)
        office_file = tmp / "office.toml"
        office_file.write_text(
            OFFICE_TOML.format(
                code=READ_OFFICE, capacity=CAPACITY, terms=ROOT / "demo" / "terms" / "fukuoka-plaza.ja.txt"
            ),
            encoding="utf-8",
        )
        only = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").lower()
        if "sqlite" in only:
            rows += run_one("SQLite", {"DATABASE_URL": None, "REDIS_URL": None}, office_file, tmp)
        if pg and "postgres" in only:
            rows += run_one("PostgreSQL", {"DATABASE_URL": pg}, office_file, tmp)
    redis = "Redis" if os.environ.get("REDIS_URL") and pg else "none"
    print(
        f"\nmadoguchi bench{' (quick)' if QUICK else ''}: gunicorn 2 processes × 8 threads "
        f"(manage.py serve --no-worker), rate limits off; PostgreSQL with cache/queue on {redis}; "
        f"{time.monotonic() - began:.0f} s in all. ratio = madoguchi / floor, except growth: "
        "(madoguchi/floor at 1 office) / (madoguchi/floor now), the floor in the same turns "
        "standing in for the machine's other load.\n"
    )
    print(table(rows))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
