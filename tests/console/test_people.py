"""R9: search normalised like the form, a person's history, and refusals decided by staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bookings import errors
from bookings.models import Booking, Refusal, Status
from bookings.services import mark_no_shows
from tests.bookings.factories import hold as hold_service
from tests.conftest import jst
from tests.front.helpers import confirmed

NOW = jst(2026, 12, 20, 12, 0)


@pytest.fixture
def signed_in(client, counsellor):
    with time_machine.travel(NOW, tick=False):
        client.force_login(counsellor)
        yield client


@pytest.fixture
def taro(office_a):
    return confirmed(
        office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0), jobseeker_number="40010-12345678"
    )


def search(client, q: str) -> str:
    return client.post("/staff/fukuoka-plaza/search/", {"q": q}).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "山田",
        "山田太郎",
        "TARO@EXAMPLE.JP",
        "０９０－１２３４－５６７８",
        "+81 90 1234 5678",
        "40010-12345678",
        "4001012345678",
    ],
)
def test_it_finds_a_person_however_they_are_typed(signed_in, taro, query):
    html = search(signed_in, query)
    assert f"/staff/fukuoka-plaza/person/{taro.pk}/" in html, query


def test_it_finds_nobody_for_a_stranger(signed_in, taro):
    html = search(signed_in, "hanako@example.jp")
    assert "該当する予約はありません。" in html


def test_it_does_not_search_another_office(signed_in, office_b):
    other = confirmed(office_b, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0))
    assert str(other.pk) not in search(signed_in, "taro@example.jp")


def test_the_history_gathers_bookings_by_email_or_phone_with_counts(signed_in, office_a, taro):
    # The same person with another email (matched by phone), a no-show.
    second = confirmed(
        office_a, jst(2026, 12, 3, 17, 15), now=jst(2026, 12, 2, 10, 0), email="taro2@example.jp"
    )
    mark_no_shows(now=jst(2026, 12, 3, 17, 30))
    stranger = confirmed(
        office_a,
        jst(2026, 12, 8, 17, 15),
        now=jst(2026, 12, 2, 10, 0),
        email="x@example.jp",
        phone="080-5555-6666",
    )
    html = signed_in.get(f"/staff/fukuoka-plaza/person/{taro.pk}/").content.decode()
    assert f"#b-{taro.pk}" in html and f"#b-{second.pk}" in html
    assert f"#b-{stranger.pk}" not in html
    assert "無断欠席" in html
    assert "<dt>無断欠席</dt><dd>2</dd>" in html  # the first is past its start without a mark too


def test_staff_refuse_with_a_reason_and_the_person_cannot_book_by_email_or_phone(
    signed_in, office_a, taro, counsellor
):
    response = signed_in.post(
        f"/staff/fukuoka-plaza/person/{taro.pk}/refuse/", {"reason": "無断欠席の繰り返し"}
    )
    assert response.status_code == 302
    refusal = Refusal.objects.get()
    assert (refusal.email_key, refusal.phone_key, refusal.decided_by, refusal.reason) == (
        "taro@example.jp",
        "+819012345678",
        counsellor,
        "無断欠席の繰り返し",
    )
    later = jst(2026, 12, 22, 17, 15)
    with pytest.raises(errors.Refused):
        hold_service(office_a, later, now=NOW, email="new@example.jp")  # same phone
    with pytest.raises(errors.Refused):
        hold_service(office_a, later, now=NOW, phone="080-9999-8888")  # same email
    html = signed_in.get(f"/staff/fukuoka-plaza/person/{taro.pk}/").content.decode()
    assert "この人のオンライン予約はお断りしています。" in html and "soudan" in html


def test_a_refusal_needs_a_reason(signed_in, taro):
    signed_in.post(f"/staff/fukuoka-plaza/person/{taro.pk}/refuse/", {"reason": "  "})
    assert not Refusal.objects.exists()


def test_lifting_is_recorded_with_reason_and_who_and_booking_works_again(
    signed_in, office_a, taro, counsellor
):
    signed_in.post(f"/staff/fukuoka-plaza/person/{taro.pk}/refuse/", {"reason": "脅迫"})
    refusal = Refusal.objects.get()
    signed_in.post(f"/staff/fukuoka-plaza/refusals/{refusal.pk}/lift/", {"reason": "本人と面談し改善を確認"})
    refusal.refresh_from_db()
    assert (refusal.lifted_at, refusal.lifted_by, refusal.lift_reason) == (
        NOW,
        counsellor,
        "本人と面談し改善を確認",
    )
    booking = hold_service(office_a, jst(2026, 12, 22, 17, 15), now=NOW)
    assert booking.status == Status.PENDING
    html = signed_in.get("/staff/fukuoka-plaza/refusals/").content.decode()
    assert "解除済み" in html


def test_nothing_refuses_automatically(office_a):
    # Three no-shows in a row: the history shows them, but only staff decide (R9).
    for day in (1, 3, 8):
        start = jst(2026, 12, day, 17, 15)
        confirmed(office_a, start, now=start - timedelta(hours=5))
        mark_no_shows(now=start + timedelta(minutes=11))
    assert not Refusal.objects.exists()
    assert (
        hold_service(office_a, jst(2026, 12, 10, 17, 15), now=jst(2026, 12, 9, 10, 0)).status
        == Status.PENDING
    )


def test_an_anonymised_booking_matches_nobody(signed_in, office_a, taro):
    other = confirmed(
        office_a,
        jst(2026, 12, 3, 17, 15),
        now=jst(2026, 12, 2, 10, 0),
        email="x@example.jp",
        phone="080-5555-6666",
    )
    Booking.objects.filter(pk=taro.pk).update(name="", email="", email_key="", phone="", phone_key="")
    html = signed_in.get(f"/staff/fukuoka-plaza/person/{taro.pk}/").content.decode()
    assert f"#b-{other.pk}" not in html and other.name not in html
