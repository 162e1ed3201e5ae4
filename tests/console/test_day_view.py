"""SPEC §9, R7, R8, R13, R15: the day view shows every booking of the date in every state,
and staff mark attendance, correct it, cancel by phone and keep a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bookings.models import Booking, BookingEvent, CancelledBy, EventKind, MailKind, OutgoingMail, Status
from bookings.services import booking_cancel
from tests.conftest import jst
from tests.front.helpers import cancel_token, confirmed, hold

START = jst(2026, 12, 1, 17, 15)
LATER = jst(2026, 12, 1, 18, 15)
BOOKED = jst(2026, 11, 30, 10, 0)
DAY = "/staff/fukuoka-plaza/day/2026-12-01/"


def person(n: int) -> dict[str, str]:
    return {"name": f"利用者 {n}号", "email": f"user{n}@example.jp", "phone": f"090-1111-222{n}"}


@pytest.fixture
def signed_in(client, counsellor):
    def at(moment):
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        client.force_login(counsellor)
        return traveller

    started = []

    def travel(moment):
        while started:
            started.pop().stop()
        started.append(at(moment))
        return client

    yield travel
    while started:
        started.pop().stop()


def action(client, booking, name, **data):
    return client.post(f"/staff/fukuoka-plaza/booking/{booking.pk}/{name}/", data)


def test_it_lists_every_booking_of_the_day_with_what_staff_need(signed_in, office_a, settings):
    one = confirmed(
        office_a, START, now=BOOKED, jobseeker_number="40010-12345678", note="履歴書の書き方", support="on"
    )
    cancelled = confirmed(office_a, LATER, now=BOOKED, **person(2))
    booking_cancel(token=cancel_token(cancelled), now=BOOKED)
    pending = hold(office_a, LATER, now=jst(2026, 12, 1, 17, 0), **person(3))
    client = signed_in(jst(2026, 12, 1, 17, 5))
    html = client.get(DAY).content.decode()
    for text in [
        "2026年12月1日（火）",
        "17:15–17:45",
        "18:15–18:45",
        one.name,
        one.email,
        one.phone,
        "40010-12345678",
        "履歴書の書き方",
        "通訳者・介助者が同席",
        one.meeting_url,
        cancelled.name,
        "キャンセル",
        "本人（メールのリンク）",
        pending.name,
        "確認待ち",
    ]:
        assert text in html, text
    assert html.count('class="booking-card') == 3


def test_it_shows_an_expired_hold_as_expired_before_the_worker_runs(signed_in, office_a):
    pending = hold(office_a, START, now=jst(2026, 12, 1, 10, 0))
    client = signed_in(jst(2026, 12, 1, 11, 0))
    html = client.get(DAY).content.decode()
    assert f'status-expired" id="b-{pending.pk}"' in html


def test_it_marks_attended_and_no_show_and_corrects_either_way(signed_in, office_a, counsellor):
    a = confirmed(office_a, START, now=BOOKED)
    client = signed_in(START + timedelta(minutes=3))
    response = action(client, a, "attended")
    assert response.status_code == 302 and response["Location"].endswith(f"{DAY}#b-{a.pk}")
    a.refresh_from_db()
    assert a.status == Status.ATTENDED
    action(client, a, "no_show")
    a.refresh_from_db()
    assert a.status == Status.NO_SHOW
    action(client, a, "attended")
    a.refresh_from_db()
    assert a.status == Status.ATTENDED
    events = list(BookingEvent.objects.filter(booking=a).values_list("kind", "from_status", "by"))
    assert events == [
        (EventKind.ATTENDED, Status.CONFIRMED, counsellor.pk),
        (EventKind.NO_SHOW, Status.ATTENDED, counsellor.pk),
        (EventKind.ATTENDED, Status.NO_SHOW, counsellor.pk),
    ]


def test_it_offers_attended_from_fifteen_minutes_before_and_no_show_from_the_start(signed_in, office_a):
    a = confirmed(office_a, START, now=BOOKED)
    html = signed_in(START - timedelta(minutes=16)).get(DAY).content.decode()
    assert "/attended/" not in html and "/no_show/" not in html
    html = signed_in(START - timedelta(minutes=15)).get(DAY).content.decode()
    assert f"/booking/{a.pk}/attended/" in html and "/no_show/" not in html
    html = signed_in(START).get(DAY).content.decode()
    assert f"/booking/{a.pk}/no_show/" in html


def test_a_too_early_mark_is_refused_with_a_message(signed_in, office_a):
    a = confirmed(office_a, START, now=BOOKED)
    client = signed_in(START - timedelta(hours=2))
    response = action(client, a, "attended")
    a.refresh_from_db()
    assert a.status == Status.CONFIRMED
    html = client.get(response["Location"]).content.decode()
    assert "相談の開始15分前から「相談済み」にできます。" in html


def test_it_cancels_by_phone_on_the_day_with_the_cancellation_mail(signed_in, office_a, counsellor):
    a = confirmed(office_a, START, now=BOOKED)
    client = signed_in(jst(2026, 12, 1, 12, 0))
    action(client, a, "cancel")
    a.refresh_from_db()
    assert (a.status, a.cancelled_by) == (Status.CANCELLED, CancelledBy.PHONE)
    assert OutgoingMail.objects.filter(booking=a, kind=MailKind.CANCELLATION).count() == 1
    assert BookingEvent.objects.get(booking=a).kind == EventKind.CANCELLED_BY_PHONE
    html = client.get(DAY).content.decode()
    assert "職員（本人からの電話）" in html
    assert f"/booking/{a.pk}/cancel/" not in html  # nothing left to cancel


def test_it_keeps_an_internal_note(signed_in, office_a):
    a = confirmed(office_a, START, now=BOOKED)
    client = signed_in(jst(2026, 12, 1, 12, 0))
    action(client, a, "note", note="前回は通訳者と参加")
    a.refresh_from_db()
    assert a.staff_note == "前回は通訳者と参加"
    assert "前回は通訳者と参加" in client.get(DAY).content.decode()


def test_an_unknown_action_or_another_offices_booking_is_not_found(signed_in, office_a, office_b):
    a = confirmed(office_a, START, now=BOOKED)
    b = confirmed(office_b, START, now=BOOKED)
    client = signed_in(START)
    assert action(client, a, "delete").status_code == 404
    assert client.post(f"/staff/fukuoka-plaza/booking/{b.pk}/attended/").status_code == 404
    assert Booking.objects.get(pk=b.pk).status == Status.CONFIRMED


def test_actions_need_post_and_the_csrf_token(signed_in, office_a, counsellor):
    from django.test import Client

    a = confirmed(office_a, START, now=BOOKED)
    client = signed_in(START)
    assert client.get(f"/staff/fukuoka-plaza/booking/{a.pk}/attended/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(counsellor)
    assert strict.post(f"/staff/fukuoka-plaza/booking/{a.pk}/attended/").status_code == 403
    a.refresh_from_db()
    assert a.status == Status.CONFIRMED


def test_it_moves_between_days_and_defaults_to_today(signed_in, office_a):
    client = signed_in(jst(2026, 12, 1, 0, 30))  # just after midnight in Fukuoka
    assert client.get("/staff/fukuoka-plaza/")["Location"] == DAY
    html = client.get(DAY).content.decode()
    assert 'href="/staff/fukuoka-plaza/day/2026-11-30/"' in html
    assert 'href="/staff/fukuoka-plaza/day/2026-12-02/"' in html
    assert (
        client.get("/staff/fukuoka-plaza/day/?d=2026-12-03")["Location"]
        == "/staff/fukuoka-plaza/day/2026-12-03/"
    )
    assert client.get("/staff/fukuoka-plaza/day/2026-13-01/").status_code == 404


def test_the_week_shows_counts_per_slot(signed_in, office_a):
    confirmed(office_a, START, now=BOOKED)
    html = signed_in(jst(2026, 12, 1, 9, 0)).get("/staff/fukuoka-plaza/week/2026-12-03/").content.decode()
    assert "2026年11月30日（月）" in html and "2026年12月6日（日）" in html
    assert "確定 1/1" in html
