"""The production shape (docs/deploy.md): two app nodes over one PostgreSQL and one Redis.

Each node is `manage.py serve --no-worker` on a port of its own with a task worker of its
own (`manage.py run_worker`); both share the database, the queue, the cache and the
SECRET_KEY, and mail goes to a real SMTP sink. Sixty clients split across the nodes race
for the two seats of one slot; a booking made on node 1 is confirmed through node 2 and
cancelled through node 1; every mail arrives exactly once.

This shape needs PostgreSQL and Redis whatever the suite runs on, so the test makes a
database of its own on the machine's PostgreSQL (the suite's, when that is PostgreSQL). It
skips when they cannot be reached, except in CI (`CI=1` or `MADOGUCHI_REQUIRE_BROWSER=1`),
where that is a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from madoguchi.worker import CLAIM_PREFIX
from tests.live.crowd import post_at_once
from tests.live.mailflow import Client, csrf_token, only_link, token_of
from tests.live.smtp import MailSink, Received
from tests.live_server import LiveServer, make_live_server, suite_database_url, uses_postgres

pytestmark = pytest.mark.live

OFFICE_FILE = Path(__file__).with_name("capacity-two.toml")
OFFICE = "race-two"
CAPACITY = 2
CLIENTS = 60
MARGIN = timedelta(minutes=10)  # the raced slot cannot start while the test runs
# The links in mail point at the proxy in front of both nodes; the test opens them on either.
PUBLIC_URL = "https://madoguchi.example.jp"
PERIODIC_JOBS = ("expire_holds_task", "mark_no_shows_task", "send_reminders_task", "sweep_mail_task")
MAINTENANCE_URL = "postgres://postgres@127.0.0.1:5432/test"
REDIS_BASE = "redis://127.0.0.1:6379/0"


def _required() -> bool:
    return os.environ.get("CI") == "1" or os.environ.get("MADOGUCHI_REQUIRE_BROWSER") == "1"


def maintenance_url() -> str:
    return suite_database_url() if uses_postgres() else MAINTENANCE_URL


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or REDIS_BASE


def _unreachable(what: str, exc: Exception) -> None:
    message = f"the two-node test needs {what}: {exc!r}"
    if _required():
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Deployment:
    nodes: tuple[LiveServer, LiveServer]
    sink: MailSink
    database_url: str
    queue: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    try:
        with psycopg.connect(maintenance_url(), autocommit=True, connect_timeout=5) as conn:
            name = f"madoguchi_two_nodes_{uuid.uuid4().hex[:10]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        _unreachable("PostgreSQL", exc)
    database_url = maintenance_url().rsplit("/", 1)[0] + "/" + name
    # Letters and digits only: huey drops anything else from the names of its Redis keys.
    queue = f"madoguchi2nodes{uuid.uuid4().hex[:8]}"
    store = redis.Redis.from_url(redis_url(), socket_timeout=5)
    try:
        store.ping()
    except redis.RedisError as exc:
        _drop(name)
        _unreachable("Redis", exc)
    shared = {
        "REDIS_URL": redis_url(),
        "MADOGUCHI_QUEUE_NAME": queue,  # the queue, its claims and the cache keys of this run only
        "SECRET_KEY": "two-nodes-" + uuid.uuid4().hex,
        "MADOGUCHI_BASE_URL": PUBLIC_URL,
    }
    nodes: list[LiveServer] = []
    with MailSink() as sink:
        sink.start()
        try:
            for number in (1, 2):
                nodes.append(
                    make_live_server(
                        tmp_path_factory.mktemp(f"node{number}"),
                        offices_toml=OFFICE_FILE,
                        extra_env={**shared, **sink.env},
                        database_url=database_url,
                    )
                )
            nodes[0].manage("migrate", "--noinput", "-v0")
            nodes[0].manage("load_offices", str(OFFICE_FILE))
            for node in nodes:
                node.start_worker()
                node.start(worker=False)
            yield Deployment(nodes=(nodes[0], nodes[1]), sink=sink, database_url=database_url, queue=queue)
        finally:
            for node in nodes:
                node.close()
            for key in store.scan_iter(match=f"*{queue}*"):
                store.delete(key)
            store.close()
            _drop(name)


def _drop(name: str) -> None:
    with psycopg.connect(maintenance_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def call(node: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = urlsplit(node.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.request(
            method, path, None if body is None else json.dumps(body), {"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def open_slots(node: LiveServer, *, after: timedelta) -> list[dict[str, Any]]:
    status, body = call(node, "GET", f"/api/v1/offices/{OFFICE}/slots")
    assert status == 200, body
    soon = datetime.now().astimezone() + after
    return [s for s in body["slots"] if datetime.fromisoformat(s["start"]) > soon]


def applicant(number: int) -> dict[str, Any]:
    return {
        "name": f"二拠点 太郎{number}",
        "email": f"node-racer{number}@example.jp",
        "phone": f"090-2{number // 10000:03d}-{number % 10000:04d}",
        "agree_terms": True,
    }


def race(nodes: tuple[LiveServer, LiveServer], *, start: str) -> list[tuple[int, Any]]:
    """CLIENTS threads, half on each node, each with its own connection, post at one moment."""
    posts = [
        (nodes[i % 2].url, "/api/v1/bookings", {"office": OFFICE, "start": start, **applicant(i)})
        for i in range(CLIENTS)
    ]
    return [(a.status, a.body) for a in post_at_once(posts)]


def rows(node: LiveServer, start: str) -> list[list[Any]]:
    code = (
        "import json; from datetime import datetime; from bookings.models import Booking; "
        f"rows = Booking.objects.filter(office__code={OFFICE!r}, "
        f"start=datetime.fromisoformat({start!r})).order_by('seat'); "
        "print(json.dumps([[b.status, b.seat, b.email] for b in rows]))"
    )
    return json.loads(node.manage("shell", "-c", code).stdout.strip().splitlines()[-1])


def mail_to(sink: MailSink, email: str, subject: str) -> Received:
    return sink.wait_for(
        lambda m: email in m.rcpt_tos and subject in m.subject, timeout=15, what=f"{subject} mail to {email}"
    )


def on(node: LiveServer, link: str) -> str:
    """A link from a mail (to the public address), opened on one node."""
    assert link.startswith(PUBLIC_URL + "/"), link
    return node.url + link.removeprefix(PUBLIC_URL)


def claims(store: redis.Redis, deployment: Deployment) -> list[str]:
    fields = [f.decode() for f in store.hkeys(f"huey.results.{deployment.queue}")]
    return sorted(f for f in fields if f.startswith(CLAIM_PREFIX))


def wait_for_next_periodic_claim(deployment: Deployment) -> None:
    """Until a worker claims (and so enqueues the jobs of) a minute newer than any claimed now.

    Each worker's scheduler looks once every 60 s, at the phase of its own start, so the next
    claim comes at most about a minute from now; "a minute later than the clock's" could be
    two minutes away.
    """
    store = redis.Redis.from_url(redis_url(), socket_timeout=5)
    try:
        before = claims(store, deployment)
        newest = before[-1] if before else ""
        seen = before
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            seen = claims(store, deployment)
            if seen and seen[-1] > newest:
                return
            time.sleep(0.5)
    finally:
        store.close()
    raise AssertionError(f"no periodic minute claimed after {newest!r} within 150 s: {seen}")


def logs(node: LiveServer) -> str:
    return node.log() + node.worker_log()


def test_it_runs_one_service_on_two_nodes_with_a_worker_each(deployment: Deployment) -> None:
    node1, node2 = deployment.nodes
    sink = deployment.sink

    # Sixty clients, thirty on each node, race for the two seats of one slot.
    slot = next(s for s in open_slots(node1, after=MARGIN) if s["remaining"] == CAPACITY)
    answers = race(deployment.nodes, start=slot["start"])
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: CAPACITY, 409: CLIENTS - CAPACITY}, (statuses, answers)
    assert all(body["status"] == "pending" for status, body in answers if status == 201)
    assert all(body["error"]["code"] == "slot_full" for status, body in answers if status == 409)
    winners = {applicant(i)["email"] for i, (status, _) in enumerate(answers) if status == 201}
    # Pending holds are bookings: exactly two rows, on seats 1 and 2, in the one database.
    booked = rows(node2, slot["start"])
    assert [row[:2] for row in booked] == [["pending", 1], ["pending", 2]], booked
    assert {row[2] for row in booked} == winners
    for node in (node1, node2):
        (after,) = [s for s in open_slots(node, after=MARGIN) if s["start"] == slot["start"]]
        assert after["remaining"] == 0
    for email in winners:
        mail_to(sink, email, "要確認")

    # A booking made on node 1 (more than a day ahead: cancellable by its link, R7) ...
    later = next(
        s for s in open_slots(node1, after=timedelta(days=2)) if s["remaining"] == CAPACITY and s != slot
    )
    email = f"two-nodes.{uuid.uuid4().hex[:8]}@example.jp"
    status, body = call(
        node1,
        "POST",
        "/api/v1/bookings",
        {"office": OFFICE, "start": later["start"], "name": "山田 花子", "email": email,
         "phone": "090-3456-7890", "agree_terms": True},
    )  # fmt: skip
    assert status == 201, body

    # ... is confirmed through node 2, by the link in its mail ...
    confirm_link = only_link(mail_to(sink, email, "要確認"), PUBLIC_URL, "confirm")
    browser2 = Client(node2.url)
    status, page = browser2.get(on(node2, confirm_link))
    assert status == 200, page
    status, page = browser2.post_form(on(node2, confirm_link), {"csrfmiddlewaretoken": csrf_token(page)})
    assert status == 200, page
    assert "予約が確定しました" in page

    # ... and cancelled through node 1, by the link in the completion mail.
    cancel_link = only_link(mail_to(sink, email, "予約完了"), PUBLIC_URL, "cancel")
    browser1 = Client(node1.url)
    status, page = browser1.get(on(node1, cancel_link))
    assert status == 200, page
    status, page = browser1.post_form(on(node1, cancel_link), {"csrfmiddlewaretoken": csrf_token(page)})
    assert status == 200, page
    assert "予約をキャンセルしました" in page
    mail_to(sink, email, "キャンセル")
    assert [row[0] for row in rows(node1, later["start"])] == ["cancelled"]

    # Every mail exactly once, also after the periodic jobs of a later minute have run (the
    # sweep of the outbox must not send anything a second time).
    wait_for_next_periodic_claim(deployment)
    time.sleep(5)  # the sweep runs within a second of its minute's claim
    messages = sink.messages
    expected = Counter({(email, "要確認"): 1, (email, "予約完了"): 1, (email, "キャンセル"): 1})
    expected.update({(winner, "要確認"): 1 for winner in winners})
    seen: Counter[tuple[str, str]] = Counter()
    for message in messages:
        (to,) = message.rcpt_tos
        kind = [k for k in ("要確認", "予約完了", "キャンセル") if k in message.subject]
        seen[(to, kind[0] if kind else message.subject)] += 1
    assert seen == expected, [(m.rcpt_tos, m.subject) for m in messages]
    assert len({m.message_id for m in messages}) == len(messages)

    # Both nodes and both workers are still up, and none of them failed on the way.
    for node in (node1, node2):
        assert node.process is not None and node.process.poll() is None, node.log()
        assert node.worker_process is not None and node.worker_process.poll() is None, node.worker_log()
        text = logs(node)
        assert "Traceback" not in text, text[-4000:]
        assert '" 500 ' not in text, text[-4000:]
        for token in (token_of(confirm_link), token_of(cancel_link)):
            assert token not in text
        # The periodic jobs ran (a minute passed) without a line: an idle worker is quiet.
        for job in PERIODIC_JOBS:
            assert f"Executing bookings.tasks.{job}" not in text, text[-4000:]
            assert f"bookings.tasks.{job}: " not in text, text[-4000:]
