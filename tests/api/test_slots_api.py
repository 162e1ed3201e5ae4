"""SPEC §6: GET /api/v1/offices/{code}/slots — dates in office time, inclusive, clipped to the horizon."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.api.helpers import error_of
from tests.bookings.factories import hold
from tests.conftest import jst

NOW = jst(2026, 11, 26, 10, 0)  # a Thursday


def slots(client, query="", at=NOW):
    with time_machine.travel(at, tick=False):
        response = client.get(f"/api/v1/offices/fukuoka-plaza/slots{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["office"] == "fukuoka-plaza"
    return body["slots"]


def starts(items):
    return [item["start"] for item in items]


def test_it_answers_each_slot_with_start_end_capacity_and_remaining(fukuoka, client):
    first = slots(client)[0]
    assert first == {
        "start": "2026-11-26T17:15:00+09:00",
        "end": "2026-11-26T17:45:00+09:00",
        "capacity": 1,
        "remaining": 1,
    }


def test_it_writes_every_time_with_the_office_offset(fukuoka, client):
    for item in slots(client):
        assert item["start"].endswith("+09:00")
        assert item["end"].endswith("+09:00")
        start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        assert (end - start).total_seconds() == 30 * 60


def test_it_runs_from_today_to_the_horizon_by_default(fukuoka, client):
    found = starts(slots(client))
    assert found[0] == "2026-11-26T17:15:00+09:00"
    assert found[-1] == "2027-01-23T15:00:00+09:00"  # the last slot up to 2027-01-25 (today + 60)
    assert not [s for s in found if s[:10] in ("2026-12-29", "2026-12-31")]  # R3


def test_it_takes_from_and_to_as_inclusive_dates(fukuoka, client):
    assert starts(slots(client, "?from=2026-12-01&to=2026-12-03")) == [
        "2026-12-01T17:15:00+09:00",
        "2026-12-01T18:15:00+09:00",
        "2026-12-03T17:15:00+09:00",
        "2026-12-03T18:15:00+09:00",
    ]


def test_it_takes_a_single_day(fukuoka, client):
    assert starts(slots(client, "?from=2026-12-12&to=2026-12-12")) == [
        "2026-12-12T11:00:00+09:00",
        "2026-12-12T13:00:00+09:00",
        "2026-12-12T14:00:00+09:00",
        "2026-12-12T15:00:00+09:00",
    ]


def test_it_clips_the_range_to_today_and_the_horizon(fukuoka, client):
    clipped = slots(client, "?from=2026-01-01&to=2027-12-31")
    assert clipped == slots(client)


def test_it_answers_an_empty_list_beyond_the_horizon(fukuoka, client):
    assert slots(client, "?from=2027-02-01&to=2027-02-28") == []


def test_it_leaves_out_slots_that_have_started(fukuoka, client):
    day = "?from=2026-12-01&to=2026-12-01"
    assert len(slots(client, day, at=jst(2026, 12, 1, 17, 14, 59))) == 2
    assert starts(slots(client, day, at=jst(2026, 12, 1, 17, 15))) == ["2026-12-01T18:15:00+09:00"]


def test_it_counts_today_and_the_horizon_in_office_time(fukuoka, client):
    # 2026-11-26 15:30 UTC is already 11-27 00:30 in Fukuoka: the horizon reaches 2027-01-26.
    found = starts(slots(client, at=datetime(2026, 11, 26, 15, 30, tzinfo=UTC)))
    assert found[0] == "2026-11-28T11:00:00+09:00"  # 4th Saturday; 11-26 is already past
    assert found[-1] == "2027-01-26T18:15:00+09:00"


def test_it_shows_a_held_slot_with_no_seats_left(fukuoka, client):
    hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW)
    found = {s["start"]: s for s in slots(client, "?from=2026-12-01&to=2026-12-01")}
    assert found["2026-12-01T17:15:00+09:00"]["remaining"] == 0
    assert found["2026-12-01T17:15:00+09:00"]["capacity"] == 1
    assert found["2026-12-01T18:15:00+09:00"]["remaining"] == 1


def test_it_shows_the_seat_again_once_the_hold_expired_without_the_worker(fukuoka, client):
    hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW)
    day = "?from=2026-12-01&to=2026-12-01"
    assert slots(client, day, at=jst(2026, 11, 26, 10, 59, 59))[0]["remaining"] == 0
    assert slots(client, day, at=jst(2026, 11, 26, 11, 0))[0]["remaining"] == 1


def test_it_answers_not_found_for_an_unknown_office(db, client):
    response = client.get("/api/v1/offices/nowhere/slots")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-13-01", "from"),
        ("?from=2026-12-1", "from"),
        ("?from=20261201", "from"),
        ("?from=2026-W49-2", "from"),
        ("?from=tomorrow", "from"),
        ("?to=2026-02-30", "to"),
        ("?from=2026-12-03&to=2026-12-01", "to"),
    ],
)
def test_it_answers_invalid_for_bad_dates(fukuoka, client, query, field):
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/offices/fukuoka-plaza/slots{query}")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
