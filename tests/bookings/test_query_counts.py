"""Queries per request on the hot paths (issue 11): a booking and the availability reads.

The bounds are what the paths need today; a change that adds a query, or makes the count
grow with the bookings already made, fails here before it shows in `make bench`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking
from offices.models import Closure
from tests.bookings.factories import hold
from tests.conftest import jst

NOW = jst(2026, 11, 30, 10, 0)
SLOTS = "/api/v1/offices/fukuoka-plaza/slots"

# A booking: the office (its timetable, closures and terms in force are remembered under its
# revision, offices.timetable); under the office lock (taken by a query on PostgreSQL; on
# SQLite by the transaction itself) one query for the refusal, the person's active bookings
# and the seats of the slot; the booking, its mail and its access record (R10). (With rate
# limits on, as they are not here, the cap on pending holds per address adds one.)
BOOKING_QUERIES = 5
# The slots: the office and one aggregate of seats taken.
SLOTS_QUERIES = 2
# The office page: the slots' queries; the terms in force and to come are remembered per
# process under the office's revision (offices.services), so once read they cost nothing.
PAGE_QUERIES = 2


def booking_bound() -> int:
    return BOOKING_QUERIES + (1 if connection.features.has_select_for_update else 0)


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the savepoints of the test's own transaction."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))
    ]


def person(number: int) -> dict[str, Any]:
    return {
        "name": f"数 太郎{number}",
        "email": f"count{number}@example.jp",
        "phone": f"090-7{number // 10000:03d}-{number % 10000:04d}",
        "agree_terms": True,
    }


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def open_starts(client: Any) -> list[str]:
    return [s["start"] for s in client.get(SLOTS).json()["slots"] if s["remaining"] > 0]


def book(client: Any, start: str, number: int) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(
            "/api/v1/bookings",
            {"office": "fukuoka-plaza", "start": start, **person(number)},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.json()
    return statements(queries)


def fill(office: Any, starts: list[str], count: int) -> None:
    from datetime import datetime

    for number, start in enumerate(starts[:count]):
        hold(
            office,
            datetime.fromisoformat(start),
            now=NOW,
            email=f"filler{number}@example.jp",
            phone=f"090-6000-{number:04d}",
        )


def test_a_booking_costs_a_bounded_number_of_queries_however_many_are_booked(fukuoka, client, frozen):
    starts = open_starts(client)
    first = book(client, starts[0], 1)
    assert len(first) <= booking_bound(), "\n".join(first)
    fill(fukuoka, starts[2:], 40)
    later = book(client, starts[1], 2)
    assert len(later) == len(first), "\n".join(later)


def test_the_slots_read_costs_a_bounded_number_of_queries_however_many_are_booked(fukuoka, client, frozen):
    starts = open_starts(client)
    with CaptureQueriesContext(connection) as empty:
        client.get(SLOTS)
    assert len(statements(empty)) <= SLOTS_QUERIES, "\n".join(statements(empty))
    fill(fukuoka, starts, 40)
    with CaptureQueriesContext(connection) as busy:
        body = client.get(SLOTS).json()
    assert len(statements(busy)) == len(statements(empty)), "\n".join(statements(busy))
    assert sum(1 for s in body["slots"] if s["remaining"] == 0) >= 40


def test_the_office_page_costs_a_bounded_number_of_queries_however_many_are_booked(fukuoka, client, frozen):
    starts = open_starts(client)
    client.get("/o/fukuoka-plaza/")  # what the process remembers (the terms) is remembered now
    with CaptureQueriesContext(connection) as empty:
        assert client.get("/o/fukuoka-plaza/").status_code == 200
    assert len(statements(empty)) <= PAGE_QUERIES, "\n".join(statements(empty))
    fill(fukuoka, starts, 40)
    with CaptureQueriesContext(connection) as busy:
        client.get("/o/fukuoka-plaza/")
    assert len(statements(busy)) == len(statements(empty)), "\n".join(statements(busy))


def test_seats_left_follow_each_booking_at_once(fukuoka, client, frozen):
    start = open_starts(client)[0]
    capacity = next(s for s in client.get(SLOTS).json()["slots"] if s["start"] == start)["capacity"]
    for number in range(1, capacity + 1):
        book(client, start, number)
        shown = next((s for s in client.get(SLOTS).json()["slots"] if s["start"] == start), None)
        assert shown is not None and shown["remaining"] == capacity - number
    assert Booking.objects.filter(start=start).count() == capacity


def test_a_closure_and_a_timetable_change_show_at_once_though_schedules_are_remembered(
    fukuoka, client, frozen
):
    start = open_starts(client)[0]
    day = date.fromisoformat(start[:10])
    client.get(SLOTS)  # the schedule is now remembered by this process
    closure = Closure.objects.create(office=fukuoka, date=day, reason="臨時閉庁")
    assert not [s for s in client.get(SLOTS).json()["slots"] if s["start"].startswith(start[:10])]
    closure.delete()
    assert start in [s["start"] for s in client.get(SLOTS).json()["slots"]]
    rule = fukuoka.rules.first()
    rule.capacity = 3
    rule.save()
    capacities = {s["capacity"] for s in client.get(SLOTS).json()["slots"]}
    assert 3 in capacities


def test_the_office_page_shows_a_taken_seat_at_once_though_calendars_are_cached(fukuoka, client, frozen):
    start = open_starts(client)[0]
    capacity = next(s for s in client.get(SLOTS).json()["slots"] if s["start"] == start)["capacity"]
    key = start[:16].replace("-", "").replace(":", "")  # 2026-12-01T17:15 → 20261201T1715
    link = f"/o/fukuoka-plaza/book/{key}/"
    assert link in client.get("/o/fukuoka-plaza/").content.decode()
    assert link in client.get("/o/fukuoka-plaza/").content.decode()  # now from the cache
    for number in range(1, capacity + 1):
        book(client, start, number)
    assert link not in client.get("/o/fukuoka-plaza/").content.decode()
