"""Helpers for the fault tests: a relay that stalls, a worker process of its own, a booking rush,
and an audit of what the database holds afterwards.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.live.mailflow import Client, only_link, token_of
from tests.live.smtp import MailSink, Received
from tests.live_server import ROOT, LiveServer

# -- a relay with faults -------------------------------------------------------------


class _FaultyHandler:
    def __init__(self, sink: FaultySink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        received = Received(message, tuple(envelope.rcpt_tos), time.monotonic())  # type: ignore[arg-type]
        sink = self.sink
        if sink.commit_before_reply:
            sink._add(received)
        try:
            await asyncio.sleep(sink.delay)
            while sink.hold.is_set():
                sink.stalled.set()
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            # The client went away before our reply: aiosmtpd cancels the handler.
            sink.abandoned.append(received)
            raise
        if not sink.commit_before_reply:
            sink._add(received)
        return "250 Message accepted for delivery"


class FaultySink(MailSink):
    """A MailSink that answers DATA after `delay` seconds, or not at all while `hold` is set.

    `commit_before_reply`: like a relay that queues the message and only then
    answers (Postfix does): a client that dies while waiting for the answer
    cannot know the message went. Otherwise the message counts only once it is
    answered, like a relay that drops a transaction whose client vanished.
    """

    def __init__(self, *, delay: float = 0.0, commit_before_reply: bool = False) -> None:
        super().__init__()
        self.delay = delay
        self.commit_before_reply = commit_before_reply
        self.hold = threading.Event()
        self.stalled = threading.Event()  # a DATA reply is being held back right now
        self.abandoned: list[Received] = []

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(_FaultyHandler(self), hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller


def kind_of(mail: Received) -> str:
    """Which mail of the outbox this is, from what it carries (SPEC §5)."""
    if mail.attachments():
        return "completion"
    if "/b/confirm/" in mail.body("plain"):
        return "confirm_request"
    return f"other: {mail.subject}"


def mail_counts(sink: MailSink) -> Counter[tuple[str, str]]:
    """How many copies arrived per (recipient, kind of mail)."""
    return Counter((rcpt, kind_of(m)) for m in sink.messages for rcpt in m.rcpt_tos)


# -- a worker process of its own -------------------------------------------------------


class Worker:
    """`manage.py run_worker` for `server`, in a process group of its own so it can be killed alone."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.log_path = server.var_dir / "fault-worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        marker = f"== worker start {self.starts}\n"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(marker.encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker"],
                cwd=ROOT,
                env=self.server.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while "worker started" not in self.log().split(marker)[-1]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start: {self.log()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no chance to finish, record or clean up anything."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def kill_web(server: LiveServer) -> None:
    """SIGKILL the whole web server: `serve`, the gunicorn master and its workers."""
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.process = None


# -- a booking rush --------------------------------------------------------------------


@dataclass
class Booked:
    id: str
    email: str
    start: str
    answered: float  # time.monotonic() of the 201


@dataclass
class Seen:
    """What the clients were told, and when."""

    booked: dict[str, Booked] = field(default_factory=dict)
    confirmed: dict[str, float] = field(default_factory=dict)  # booking id -> monotonic time of the 200
    full: int = 0
    no_answer: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def confirmed_before(self, moment: float) -> set[str]:
        with self.lock:
            return {bid for bid, at in self.confirmed.items() if at < moment}


_people = itertools.count(1)


def person() -> tuple[str, str]:
    """A distinct email and phone, so that nobody is 'already known' (SPEC §6)."""
    n = next(_people) + 1000 * (os.getpid() % 1000)
    return f"rush{n}.{os.urandom(3).hex()}@example.jp", f"090-2{n // 10000 % 1000:03d}-{n % 10000:04d}"


def book_someone(client: Client, start: str) -> tuple[str, dict[str, Any]]:
    """Book `start` for a new person; their email and the 201 answer."""
    address, phone = person()
    status, body = client.post_json(
        "/api/v1/bookings",
        {
            "office": "every-day",
            "start": start,
            "name": "山田 太郎",
            "email": address,
            "phone": phone,
            "agree_terms": True,
        },
    )
    assert status == 201, body
    return address, dict(body)


class Rush:
    """`clients` threads booking `slots` (racing for their seats) and confirming through the mail."""

    def __init__(self, server: LiveServer, sink: MailSink, slots: list[str], *, clients: int = 6) -> None:
        self.server, self.sink, self.slots = server, sink, slots
        self.seen = Seen()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def __enter__(self) -> Rush:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=40)
        assert not any(t.is_alive() for t in self.threads), "a rush client is still running"

    def wait_until(self, condition: Any, *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.seen):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not within {timeout}s: {self.seen}")
            time.sleep(0.05)

    def _post(self, client: Client, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        try:
            return client.post_json(path, payload)
        except (OSError, urllib.error.URLError, ValueError):
            # Refused, reset or cut off mid-answer (the server crashed): no answer at all.
            with self.seen.lock:
                self.seen.no_answer += 1
            time.sleep(0.1)
            return 0, None

    def _client(self, number: int) -> None:
        client = Client(self.server.url)
        for round_ in itertools.count():
            if self.stopping.is_set():
                return
            start = self.slots[(number + round_) % len(self.slots)]
            address, phone = person()
            payload = {
                "office": "every-day",
                "start": start,
                "name": "殺到 太郎",
                "email": address,
                "phone": phone,
                "agree_terms": True,
            }
            status, body = self._post(client, "/api/v1/bookings", payload)
            if status == 201:
                with self.seen.lock:
                    self.seen.booked[body["id"]] = Booked(body["id"], address, start, time.monotonic())
                self._confirm(client, body["id"], address)
            elif status == 409 and body["error"]["code"] == "slot_full":
                with self.seen.lock:
                    self.seen.full += 1
            elif status != 0:
                with self.seen.lock:
                    self.seen.unexpected.append(f"{status} {body}")

    def _confirm(self, client: Client, booking_id: str, address: str) -> None:
        deadline = time.monotonic() + 20
        while not self.stopping.is_set() and time.monotonic() < deadline:
            found = self.sink.matching(lambda m: address in m.rcpt_tos and "/b/confirm/" in m.body("plain"))
            if found:
                break
            time.sleep(0.05)
        else:
            return
        token = token_of(only_link(found[0], self.server.env["MADOGUCHI_BASE_URL"], "confirm"))
        # Confirming again gives the same answer (SPEC §6), so a lost answer is simply asked again.
        for _attempt in range(50):
            status, body = self._post(client, "/api/v1/bookings/confirm", {"token": token})
            if status == 200:
                with self.seen.lock:
                    self.seen.confirmed[booking_id] = time.monotonic()
                return
            if status != 0:
                with self.seen.lock:
                    self.seen.unexpected.append(f"confirm {status} {body}")
                return
            if self.stopping.is_set():
                return


# -- what the database holds -----------------------------------------------------------

_AUDIT = """
import json
from bookings.models import Booking
from offices.models import Office
rows = [
    {
        "id": str(b.id), "office": b.office.code, "start": b.start.isoformat(), "seat": b.seat,
        "status": b.status, "email": b.email, "confirmed": b.confirmed_at is not None,
        "meeting_url": b.meeting_url, "hashes": bool(b.confirm_token_hash and b.cancel_token_hash),
        "mails": {m.kind: [m.state, m.attempts] for m in b.mails.all()},
    }
    for b in Booking.objects.select_related("office").prefetch_related("mails")
]
print("AUDIT " + json.dumps({"bookings": rows, "capacity": {o.code: o.capacity for o in Office.objects.all()}}))
"""


def audit(server: LiveServer) -> dict[str, Any]:
    out = server.manage("shell", "-c", _AUDIT).stdout
    line = next(line for line in out.splitlines() if line.startswith("AUDIT "))
    return dict(json.loads(line.removeprefix("AUDIT ")))


def inconsistencies(state: dict[str, Any]) -> list[str]:
    """Every booking whole (the rows a state change writes together are all there), no seat over capacity."""
    problems = []
    holders: Counter[tuple[str, str]] = Counter()
    seats: Counter[tuple[str, str, int]] = Counter()
    for b in state["bookings"]:
        capacity = state["capacity"][b["office"]]
        if not 1 <= b["seat"] <= capacity:
            problems.append(f"{b['id']}: seat {b['seat']} of {capacity}")
        if not b["hashes"]:
            problems.append(f"{b['id']}: no token hashes")
        if "confirm_request" not in b["mails"]:
            problems.append(f"{b['id']}: held without its confirmation request")
        if b["status"] == "confirmed":
            if not (b["confirmed"] and b["meeting_url"] and "completion" in b["mails"]):
                problems.append(f"{b['id']}: confirmed but half-written {b}")
        elif b["status"] == "pending":
            if b["confirmed"] or b["meeting_url"] or "completion" in b["mails"]:
                problems.append(f"{b['id']}: pending but partly confirmed {b}")
        if b["status"] in ("pending", "confirmed", "attended", "no_show"):
            holders[(b["office"], b["start"])] += 1
            seats[(b["office"], b["start"], b["seat"])] += 1
    for (office, start), count in holders.items():
        if count > state["capacity"][office]:
            problems.append(f"{office} {start}: {count} bookings for {state['capacity'][office]} seats")
    problems += [f"seat {key} given twice" for key, n in seats.items() if n > 1]
    return problems


def wait_for_outbox_to_drain(server: LiveServer, *, timeout: float) -> dict[str, Any]:
    """The audit once no mail is waiting or being sent."""
    deadline = time.monotonic() + timeout
    while True:
        state = audit(server)
        busy = [
            (b["email"], kind, mail)
            for b in state["bookings"]
            for kind, mail in b["mails"].items()
            if mail[0] in ("queued", "sending")
        ]
        if not busy:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"mail still waiting after {timeout}s: {busy[:10]}")
        time.sleep(0.5)


def mail_problems(state: dict[str, Any], sink: MailSink) -> list[str]:
    """Every mail recorded as sent arrived exactly once; nothing else arrived."""
    arrived = mail_counts(sink)
    expected: Counter[tuple[str, str]] = Counter()
    for b in state["bookings"]:
        for kind, (mail_state, _attempts) in b["mails"].items():
            if mail_state == "sent":
                expected[(b["email"], kind)] += 1
            elif mail_state != "skipped":
                expected[(b["email"], f"{kind} left {mail_state}")] += 1
    return [
        f"{key}: {arrived.get(key, 0)} arrived, {count} expected"
        for key, count in (expected | arrived).items()
        if arrived.get(key, 0) != expected.get(key, 0)
    ]


def logs_without_tracebacks(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-4000:]


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
