"""SPEC §6 / R7: POST /api/v1/bookings/cancel — until the day before; idempotent."""

from datetime import timedelta

import time_machine

from bookings.models import Booking, CancelledBy, Status
from tests.api.helpers import error_of, post
from tests.bookings.factories import cancel_token, confirm, confirm_token, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
HELD = jst(2026, 11, 26, 10, 0)


def confirmed(office):
    return confirm(hold(office, START, now=HELD), now=HELD + timedelta(minutes=1))


def cancel_at(client, booking, at, **headers):
    with time_machine.travel(at, tick=False):
        return post(client, "bookings/cancel", {"token": cancel_token(booking)}, **headers)


def test_it_answers_id_and_status(fukuoka, client):
    booking = confirmed(fukuoka)
    response = cancel_at(client, booking, jst(2026, 11, 27, 12, 0))
    assert response.status_code == 200
    assert response.json() == {"id": str(booking.pk), "status": "cancelled"}
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == (Status.CANCELLED, CancelledBy.LINK)


def test_it_cancels_at_the_last_second_of_the_day_before(fukuoka, client):
    booking = confirmed(fukuoka)
    assert cancel_at(client, booking, jst(2026, 11, 30, 23, 59, 59)).status_code == 200


def test_it_answers_same_day_with_the_office_phone_at_midnight(fukuoka, client):
    booking = confirmed(fukuoka)
    response = cancel_at(client, booking, jst(2026, 12, 1, 0, 0))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "same_day"
    assert "092-000-0000" in error["message"]
    assert Booking.objects.get(pk=booking.pk).status == Status.CONFIRMED


def test_it_gives_the_office_phone_in_english_too(fukuoka, client):
    booking = confirmed(fukuoka)
    response = cancel_at(client, booking, jst(2026, 12, 1, 9, 0), **{"Accept-Language": "en"})
    assert "092-000-0000" in error_of(response)["message"]


def test_it_answers_the_same_when_cancelled_twice(fukuoka, client):
    booking = confirmed(fukuoka)
    first = cancel_at(client, booking, jst(2026, 11, 27, 12, 0))
    again = cancel_at(client, booking, jst(2026, 11, 28, 12, 0))
    assert (again.status_code, again.json()) == (200, first.json())


def test_it_answers_not_cancellable_for_a_pending_booking(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    response = cancel_at(client, booking, HELD + timedelta(minutes=5))
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_cancellable"


def test_it_answers_not_cancellable_for_an_expired_booking(fukuoka, client):
    booking = hold(fukuoka, START, now=HELD)
    response = cancel_at(client, booking, HELD + timedelta(hours=2))
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_cancellable"


def test_it_does_not_take_the_confirm_token(fukuoka, client):
    booking = confirmed(fukuoka)
    with time_machine.travel(jst(2026, 11, 27, 12, 0), tick=False):
        response = post(client, "bookings/cancel", {"token": confirm_token(booking)})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_it_keeps_a_cancelled_booking_cancelled_when_the_confirm_link_is_used(fukuoka, client):
    booking = confirmed(fukuoka)
    cancel_at(client, booking, jst(2026, 11, 27, 12, 0))
    with time_machine.travel(jst(2026, 11, 27, 12, 5), tick=False):
        response = post(client, "bookings/confirm", {"token": confirm_token(booking)})
    assert response.status_code == 410
    assert Booking.objects.get(pk=booking.pk).status == Status.CANCELLED
