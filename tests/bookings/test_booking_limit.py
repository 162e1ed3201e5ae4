"""SPEC §6: one active future booking per person per office (limit_reached)."""

import pytest

from bookings import errors
from bookings.models import Status
from bookings.services import booking_cancel, booking_cancel_by_phone, mark_no_shows
from tests.bookings.factories import cancel_token, confirm, hold, second_office
from tests.conftest import jst

FIRST = jst(2026, 12, 1, 17, 15)
SECOND = jst(2026, 12, 3, 18, 15)
NOW = jst(2026, 11, 26, 10, 0)


@pytest.mark.parametrize(
    "email",
    ["taro@example.jp", "TARO@Example.JP", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "  Taro@example.jp  "],
)
def test_it_refuses_a_second_booking_with_the_same_email(fukuoka, email):
    hold(fukuoka, FIRST, now=NOW)
    with pytest.raises(errors.LimitReached):
        hold(fukuoka, SECOND, now=NOW, email=email, phone="080-5555-0000")


@pytest.mark.parametrize(
    "phone",
    ["09012345678", "090 1234 5678", "+81 90-1234-5678", "０９０－１２３４－５６７８", "(090)1234-5678"],
)
def test_it_refuses_a_second_booking_with_the_same_phone(fukuoka, phone):
    hold(fukuoka, FIRST, now=NOW)
    with pytest.raises(errors.LimitReached):
        hold(fukuoka, SECOND, now=NOW, email="another@example.jp", phone=phone)


def test_it_counts_a_confirmed_booking(fukuoka):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    with pytest.raises(errors.LimitReached) as caught:
        hold(fukuoka, SECOND, now=NOW)
    assert (caught.value.code, caught.value.status) == ("limit_reached", 409)


def test_it_allows_booking_again_after_a_link_cancellation(fukuoka):
    first = confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    booking_cancel(token=cancel_token(first), now=NOW)
    assert hold(fukuoka, SECOND, now=NOW).status == Status.PENDING


def test_it_allows_booking_again_after_a_phone_cancellation(fukuoka):
    first = hold(fukuoka, FIRST, now=NOW)
    booking_cancel_by_phone(booking=first, now=NOW)
    assert hold(fukuoka, SECOND, now=NOW).status == Status.PENDING


def test_it_allows_booking_again_after_the_hold_expired(fukuoka):
    hold(fukuoka, FIRST, now=NOW)
    later = jst(2026, 11, 26, 11, 0)
    assert hold(fukuoka, SECOND, now=later).status == Status.PENDING


def test_it_allows_booking_again_once_the_consultation_has_started(fukuoka):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    assert hold(fukuoka, SECOND, now=FIRST).status == Status.PENDING


def test_it_allows_booking_again_after_a_no_show(fukuoka):
    confirm(hold(fukuoka, FIRST, now=NOW), now=NOW)
    after = jst(2026, 12, 1, 17, 25)
    mark_no_shows(now=after)
    assert hold(fukuoka, SECOND, now=after).status == Status.PENDING


def test_it_counts_bookings_per_office(fukuoka):
    other = second_office()
    hold(fukuoka, FIRST, now=NOW)
    assert hold(other, FIRST, now=NOW).status == Status.PENDING


def test_it_lets_two_people_book_two_slots(fukuoka):
    hold(fukuoka, FIRST, now=NOW)
    other = hold(fukuoka, SECOND, now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    assert other.status == Status.PENDING
