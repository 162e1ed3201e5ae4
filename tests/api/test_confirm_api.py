"""SPEC §6: POST /api/v1/bookings/confirm — within the window and before the start; idempotent."""

from datetime import timedelta

import pytest
import time_machine

from bookings.models import Booking, MailKind, OutgoingMail, Status
from tests.api.helpers import error_of, post
from tests.bookings.factories import confirm_token, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
HELD = jst(2026, 11, 26, 10, 0)


def confirm_at(client, booking, at):
    with time_machine.travel(at, tick=False):
        return post(client, "bookings/confirm", {"token": confirm_token(booking)})


def test_it_answers_id_status_start_and_meeting_url(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    response = confirm_at(client, booking, HELD + timedelta(minutes=5))
    assert response.status_code == 200
    booking.refresh_from_db()
    assert response.json() == {
        "id": str(booking.pk),
        "status": "confirmed",
        "start": "2026-12-01T17:15:00+09:00",
        "meeting_url": booking.meeting_url,
    }
    assert booking.meeting_url.startswith("https://meet.example.org/room/")


def test_it_confirms_at_the_last_second_of_the_window(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    assert confirm_at(client, booking, HELD + timedelta(minutes=59, seconds=59)).status_code == 200


def test_it_answers_expired_when_the_window_has_ended(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    response = confirm_at(client, booking, HELD + timedelta(minutes=60))
    assert response.status_code == 410
    assert error_of(response)["code"] == "expired"
    assert Booking.objects.get(pk=booking.pk).status == Status.EXPIRED


def test_it_answers_expired_at_the_start_of_the_slot(fukuoka, client):
    booking = hold(fukuoka, START, now=START - timedelta(minutes=20))
    assert confirm_at(client, booking, START - timedelta(seconds=1)).status_code == 200
    other = hold(
        fukuoka,
        jst(2026, 12, 1, 18, 15),
        now=START - timedelta(minutes=20),
        email="b@example.jp",
        phone="080-1111-2222",
    )
    response = confirm_at(client, other, jst(2026, 12, 1, 18, 15))
    assert response.status_code == 410


def test_it_answers_the_same_when_confirmed_twice_and_mails_once(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    first = confirm_at(client, booking, HELD + timedelta(minutes=5))
    again = confirm_at(client, booking, HELD + timedelta(minutes=30))
    assert (again.status_code, again.json()) == (200, first.json())
    assert OutgoingMail.objects.filter(booking=booking, kind=MailKind.COMPLETION).count() == 1


@pytest.mark.parametrize(
    "body", [{"token": "no-such-token"}, {"token": ""}, {"token": 12}, {}, {"token": "x" * 500}]
)
def test_it_answers_not_found_for_a_bad_token(fukuoka, client, body):
    response = post(client, "bookings/confirm", body)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
