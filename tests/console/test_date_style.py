"""Staff pages write dates the one way the public pages do: 2026年12月1日（火）17:15 /
Tue 1 December 2026, 17:15 JST, in the office's time (STYLE 10)."""

from __future__ import annotations

import pytest
import time_machine

from bookings.models import Refusal
from tests.conftest import jst
from tests.front.helpers import confirmed

NOW = jst(2026, 12, 20, 12, 0)


@pytest.fixture
def signed_in(client, counsellor):
    with time_machine.travel(NOW, tick=False):
        client.force_login(counsellor)
        yield client


@pytest.fixture
def refused_taro(office_a, counsellor):
    booking = confirmed(office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0))
    Refusal.objects.create(
        office=office_a,
        email_key=booking.email_key,
        phone_key=booking.phone_key,
        name=booking.name,
        reason="無断欠席の繰り返し",
        decided_by=counsellor,
        created_at=jst(2026, 12, 2, 9, 5),
    )
    return booking


def test_the_person_and_refusal_pages_use_the_site_date_style(signed_in, refused_taro):
    person = signed_in.get(f"/staff/fukuoka-plaza/person/{refused_taro.pk}/").content.decode()
    assert "2026年12月1日（火）17:15" in person
    assert "2026年12月2日（水）09:05" in person
    refusals = signed_in.get("/staff/fukuoka-plaza/refusals/").content.decode()
    assert "2026年12月2日（水）09:05" in refusals
    search = signed_in.post("/staff/fukuoka-plaza/search/", {"q": "山田"}).content.decode()
    assert "2026年12月1日（火）17:15" in search
    for html in (person, refusals, search):
        assert "2026-12-01 17:15" not in html and "2026-12-02 09:05" not in html


def test_they_follow_the_language_in_english(signed_in, refused_taro):
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    person = signed_in.get(f"/staff/fukuoka-plaza/person/{refused_taro.pk}/").content.decode()
    assert "Tue 1 December 2026, 17:15 JST" in person
    assert "Wed 2 December 2026, 09:05 JST" in person
