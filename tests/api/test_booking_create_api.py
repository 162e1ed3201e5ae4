"""SPEC §6: POST /api/v1/bookings — 201 pending with its expiry, or a coded error."""

import uuid

import pytest
import time_machine
from django.core import mail

from bookings.models import Booking, MailKind, OutgoingMail, Refusal, Status
from tests.api.helpers import VALID, book, error_of, post
from tests.conftest import jst

NOW = jst(2026, 11, 26, 10, 0)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_it_answers_201_with_id_status_and_expiry(fukuoka, client, at_now):
    response = book(client)
    assert response.status_code == 201
    body = response.json()
    booking = Booking.objects.get()
    assert body == {"id": str(booking.pk), "status": "pending", "expires_at": "2026-11-26T11:00:00+09:00"}
    assert booking.status == Status.PENDING


def test_it_answers_the_slot_start_as_expiry_when_the_slot_is_near(fukuoka, client):
    with time_machine.travel(jst(2026, 12, 1, 16, 55), tick=False):
        response = book(client)
    assert response.json()["expires_at"] == "2026-12-01T17:15:00+09:00"


def test_it_sends_the_confirmation_email(fukuoka, client, at_now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(client)
    [message] = mail.outbox
    assert message.to == ["taro@example.jp"]
    assert "/b/confirm/" in message.body
    assert OutgoingMail.objects.get().kind == MailKind.CONFIRM_REQUEST


def test_it_stores_the_optional_fields(fukuoka, client, at_now):
    book(client, jobseeker_number="４００１０－１２３４５６７８", note="履歴書の書き方", support=True)
    booking = Booking.objects.get()
    assert (booking.jobseeker_number, booking.note, booking.support) == (
        "40010-12345678",
        "履歴書の書き方",
        True,
    )
    assert booking.terms.version == "demo-1"


def test_it_normalises_full_width_input(fukuoka, client, at_now):
    response = book(
        client, email="ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", phone="０９０－１２３４－５６７８", name=" 山田 太郎 "
    )
    assert response.status_code == 201
    booking = Booking.objects.get()
    assert (booking.name, booking.email, booking.phone_key) == (
        "山田 太郎",
        "taro@example.jp",
        "+819012345678",
    )


@pytest.mark.parametrize("agree", [None, False, "true", 1, "on"])
def test_it_requires_agree_terms_to_be_true(fukuoka, client, at_now, agree):
    body = {k: v for k, v in VALID.items() if k != "agree_terms"}
    if agree is not None:
        body["agree_terms"] = agree
    response = post(client, "bookings", body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["agree_terms"]
    assert not Booking.objects.exists()


def test_it_answers_each_bad_field(fukuoka, client, at_now):
    response = book(client, name="", email="taro@", phone="12", jobseeker_number="1-2", start="tomorrow")
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"name", "email", "phone", "jobseeker_number", "start"}
    assert all(isinstance(m, str) for messages in fields.values() for m in messages)


def test_it_refuses_control_characters(fukuoka, client, at_now):
    response = book(client, name="山田\u0007太郎")
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"name": ["使用できない制御文字が含まれています。"]}


def test_it_requires_the_contact_fields(fukuoka, client, at_now):
    response = post(
        client, "bookings", {"office": "fukuoka-plaza", "start": VALID["start"], "agree_terms": True}
    )
    assert set(error_of(response)["fields"]) == {"name", "email", "phone"}


@pytest.mark.parametrize(
    "start",
    [
        "2026-12-01T17:30:00+09:00",  # not a slot time
        "2026-12-02T17:15:00+09:00",  # not a slot day
        "2026-11-26T10:00:00+09:00",  # not a slot
        "2027-01-26T17:15:00+09:00",  # beyond the horizon (today + 60 = 2027-01-25)
        "2026-12-01T17:15:00",  # no offset
        "2026-12-01",
        1764577800,
    ],
)
def test_it_answers_invalid_for_a_start_that_is_not_an_open_slot(fukuoka, client, at_now, start):
    response = book(client, start=start)
    assert response.status_code == 422
    error = error_of(response)
    assert list(error["fields"]) == ["start"]


def test_it_answers_invalid_for_a_slot_that_has_started(fukuoka, client):
    with time_machine.travel(jst(2026, 12, 1, 17, 15), tick=False):
        response = book(client)
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["start"]


def test_it_accepts_the_start_written_in_utc(fukuoka, client, at_now):
    response = book(client, start="2026-12-01T08:15:00+00:00")
    assert response.status_code == 201


def test_it_answers_not_found_for_an_unknown_office(fukuoka, client, at_now):
    response = book(client, office="nowhere")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_it_answers_slot_full(fukuoka, client, at_now):
    assert book(client).status_code == 201
    response = book(client, email="hanako@example.jp", phone="080-9876-5432")
    assert response.status_code == 409
    assert error_of(response)["code"] == "slot_full"


def held_answer_shape(response) -> dict:
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "status", "expires_at"}
    assert body["status"] == "pending"
    assert uuid.UUID(body["id"]).version == 4
    return body


def test_it_answers_a_known_person_like_a_hold_and_takes_no_seat(
    fukuoka, client, at_now, django_capture_on_commit_callbacks
):
    first = held_answer_shape(book(client))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = book(
            client, start="2026-12-03T17:15:00+09:00", email="stranger@example.jp", phone="090-1234-5678"
        )
    second = held_answer_shape(response)
    assert second["expires_at"] == first["expires_at"]  # the window of a real hold
    assert second["id"] != first["id"]
    assert [str(pk) for pk in Booking.objects.values_list("pk", flat=True)] == [first["id"]]
    [notice] = mail.outbox
    assert notice.to == ["taro@example.jp"]  # the address on file, not the one typed


def test_it_lets_the_person_book_again_after_the_hold_expired(fukuoka, client, at_now):
    assert book(client).status_code == 201
    at_now.move_to(jst(2026, 11, 26, 11, 0))
    assert book(client, start="2026-12-03T17:15:00+09:00").status_code == 201


def test_it_gives_the_seat_of_an_expired_hold_to_the_next_person(fukuoka, client, at_now):
    assert book(client).status_code == 201
    at_now.move_to(jst(2026, 11, 26, 10, 59, 59))
    assert book(client, email="hanako@example.jp", phone="080-9876-5432").status_code == 409
    at_now.move_to(jst(2026, 11, 26, 11, 0))
    assert book(client, email="hanako@example.jp", phone="080-9876-5432").status_code == 201


def test_it_answers_a_refused_person_like_a_hold(fukuoka, client, at_now):
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="無断欠席の繰り返し")
    held_answer_shape(book(client, email="other@example.jp", phone="09012345678"))
    assert not Booking.objects.exists()


@pytest.mark.parametrize("raw", ["{", "[]", '"text"', "null"])
def test_it_answers_invalid_for_a_body_that_is_not_an_object(fukuoka, client, at_now, raw):
    response = client.post("/api/v1/bookings", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"
