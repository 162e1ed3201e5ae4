"""Capacity holds under a crowd (STYLE §5): sixty people race for the last seats.

A real server (gunicorn, two processes with threads) takes the requests, on
SQLite by default and on PostgreSQL when the suite's DATABASE_URL says so.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.live.crowd import post_at_once
from tests.live_server import LiveServer, make_live_server

pytestmark = pytest.mark.live

OFFICE_FILE = Path(__file__).with_name("capacity-two.toml")
OFFICE = "race-two"
CAPACITY = 2
CLIENTS = 60
# Far enough ahead that the slot cannot start while the race runs.
MARGIN = timedelta(minutes=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = make_live_server(tmp_path_factory.mktemp("race"), offices_toml=OFFICE_FILE)
    try:
        live.start(worker=False)
        yield live
    finally:
        live.close()


def request(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body)
        conn.request(method, path, payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def open_slots(server: LiveServer) -> list[dict[str, Any]]:
    status, body = request(server, "GET", f"/api/v1/offices/{OFFICE}/slots")
    assert status == 200, body
    soon = datetime.now().astimezone() + MARGIN
    return [s for s in body["slots"] if datetime.fromisoformat(s["start"]) > soon]


def applicant(number: int) -> dict[str, Any]:
    # 090-1xxx-xxxx: a valid Japanese mobile number, distinct per applicant.
    return {
        "name": f"競合 太郎{number}",
        "email": f"racer{number}@example.jp",
        "phone": f"090-1{number // 10000:03d}-{number % 10000:04d}",
        "agree_terms": True,
    }


def race(server: LiveServer, *, start: str, first_applicant: int) -> list[tuple[int, Any]]:
    """CLIENTS threads, each with its own connection, post at the same moment."""
    posts = [
        (server.url, "/api/v1/bookings", {"office": OFFICE, "start": start, **applicant(first_applicant + i)})
        for i in range(CLIENTS)
    ]
    return [(a.status, a.body) for a in post_at_once(posts)]


def bookings_in_database(server: LiveServer, start: str) -> list[list[Any]]:
    """Read the rows through Django, whichever database the server uses."""
    code = (
        "import json; from datetime import datetime; from bookings.models import Booking; "
        f"rows = Booking.objects.filter(office__code={OFFICE!r}, "
        f"start=datetime.fromisoformat({start!r})).order_by('seat'); "
        "print(json.dumps([[b.status, b.seat, b.email_key] for b in rows]))"
    )
    output = server.manage("shell", "-c", code).stdout
    return json.loads(output.strip().splitlines()[-1])


def server_log(server: LiveServer) -> str:
    return server.log_path.read_text(errors="replace")


@pytest.mark.parametrize("round_", [0, 1])
def test_it_gives_the_two_seats_of_a_slot_to_exactly_two_of_sixty_racing_clients(
    server: LiveServer, round_: int
) -> None:
    # Each round races for a slot nobody has touched yet.
    untouched = [s for s in open_slots(server) if s["remaining"] == CAPACITY]
    assert untouched, "no open slot in the horizon"
    slot = untouched[0]
    assert slot["capacity"] == CAPACITY, slot
    first_applicant = 1000 * (round_ + 1)

    answers = race(server, start=slot["start"], first_applicant=first_applicant)

    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: CAPACITY, 409: CLIENTS - CAPACITY}, (statuses, answers)
    for status, body in answers:
        if status == 201:
            assert body["status"] == "pending", body
        else:
            assert body["error"]["code"] == "slot_full", body

    after = {s["start"]: s for s in open_slots(server)}
    assert after[slot["start"]]["remaining"] == 0

    winners = {
        applicant(first_applicant + i)["email"] for i, (status, _) in enumerate(answers) if status == 201
    }
    rows = bookings_in_database(server, slot["start"])
    assert [row[:2] for row in rows] == [["pending", 1], ["pending", 2]], rows
    assert {row[2] for row in rows} == winners

    log = server_log(server)
    assert "Traceback" not in log, log[-4000:]
    assert "database is locked" not in log, log[-4000:]
    assert '" 500 ' not in log, log[-4000:]
