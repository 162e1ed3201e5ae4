"""R9: a refused person cannot book online and is told to contact the office."""

import pytest

from bookings import errors
from bookings.models import Booking, Refusal, Status
from tests.bookings.factories import hold, second_office
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)


def test_it_refuses_a_person_refused_by_email(fukuoka):
    Refusal.objects.create(office=fukuoka, email_key="taro@example.jp", reason="無断欠席の繰り返し")
    with pytest.raises(errors.Refused) as caught:
        hold(fukuoka, START, now=NOW, email="ＴＡＲＯ@example.jp", phone="080-5555-0000")
    assert (caught.value.code, caught.value.status) == ("refused", 403)
    assert "窓口" in str(caught.value.message)
    assert not Booking.objects.exists()


def test_it_refuses_a_person_refused_by_phone(fukuoka):
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="脅迫")
    with pytest.raises(errors.Refused):
        hold(fukuoka, START, now=NOW, email="new@example.jp", phone="090 1234 5678")
    assert not Booking.objects.exists()


def test_it_does_not_refuse_someone_else(fukuoka):
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="脅迫")
    booking = hold(fukuoka, START, now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    assert booking.status == Status.PENDING


def test_it_refuses_only_at_the_office_that_refused(fukuoka):
    other = second_office()
    Refusal.objects.create(office=other, email_key="taro@example.jp", reason="不正利用")
    assert hold(fukuoka, START, now=NOW).status == Status.PENDING
