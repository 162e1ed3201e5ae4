"""R3, R12, SPEC §9: office administrators close days, change the timetable and publish
terms; nothing touches a booking without being shown first."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core import mail

from bookings.models import Booking, CancelledBy, MailKind, OutgoingMail, Status
from bookings.outbox import deliver_due_mail
from offices.models import Closure, TermsVersion
from tests.conftest import jst
from tests.console.conftest import pass_second_factor
from tests.front.helpers import PERSON, confirmed, hold

NOW = jst(2026, 11, 26, 10, 0)
TUESDAY = date(2026, 12, 1)
OTHERS = [
    {"name": "佐藤 花子", "email": "hanako@example.jp", "phone": "080-9876-5432"},
    {"name": "鈴木 一郎", "email": "ichiro@example.jp", "phone": "070-1111-2222"},
]


@pytest.fixture
def admin_client(client, office_admin):
    with time_machine.travel(NOW, tick=False):
        client.force_login(office_admin)
        pass_second_factor(client, office_admin)
        yield client


def slots_on(client, day: str) -> list[str]:
    body = client.get(f"/api/v1/offices/fukuoka-plaza/slots?from={day}&to={day}").json()
    return [s["start"] for s in body["slots"]]


def test_a_closure_over_booked_day_lists_then_cancels_and_mails_each_person_once(admin_client, office_a):
    first = confirmed(office_a, jst(2026, 12, 1, 17, 15), now=NOW)
    second = hold(office_a, jst(2026, 12, 1, 18, 15), now=NOW, **OTHERS[0])
    elsewhere = confirmed(office_a, jst(2026, 12, 3, 17, 15), now=NOW, **OTHERS[1])
    assert len(slots_on(admin_client, "2026-12-01")) == 2

    preview = admin_client.post(
        "/staff/fukuoka-plaza/closures/", {"date": "2026-12-01", "reason": "空調設備の故障"}
    )
    html = preview.content.decode()
    assert preview.status_code == 200
    assert first.name in html and second.name in html and elsewhere.name not in html
    assert not Closure.objects.filter(date=TUESDAY).exists()
    assert Booking.objects.get(pk=first.pk).status == Status.CONFIRMED

    done = admin_client.post(
        "/staff/fukuoka-plaza/closures/", {"date": "2026-12-01", "reason": "空調設備の故障", "confirm": "yes"}
    )
    assert done.status_code == 302
    assert Closure.objects.get(date=TUESDAY).reason == "空調設備の故障"
    for booking in (first, second):
        booking.refresh_from_db()
        assert (booking.status, booking.cancelled_by) == (Status.CANCELLED, CancelledBy.OFFICE)
    assert Booking.objects.get(pk=elsewhere.pk).status == Status.CONFIRMED
    # The day's slots are gone from the API and the office page at once.
    assert slots_on(admin_client, "2026-12-01") == []
    assert (
        "/o/fukuoka-plaza/book/20261201T1715/" not in admin_client.get("/o/fukuoka-plaza/").content.decode()
    )

    mail.outbox.clear()
    deliver_due_mail(clock=lambda: NOW)
    deliver_due_mail(clock=lambda: NOW)  # a second sweep sends nothing again
    closure_mails = [m for m in mail.outbox if "取り消しのお知らせ" in m.subject]
    assert sorted(m.to[0] for m in closure_mails) == sorted([first.email, second.email])
    body = next(m for m in closure_mails if m.to == [first.email]).body
    assert "申し訳ありません" in body and "092-000-0000" in body and "/o/fukuoka-plaza/" in body
    assert "空調設備の故障" in body
    assert OutgoingMail.objects.filter(kind=MailKind.OFFICE_CANCELLATION).count() == 2


def test_a_closure_of_a_day_without_bookings_needs_no_confirmation(admin_client, office_a):
    response = admin_client.post("/staff/fukuoka-plaza/closures/", {"date": "2026-12-03", "reason": "研修"})
    assert response.status_code == 302
    assert Closure.objects.filter(date=date(2026, 12, 3), reason="研修").exists()


def test_a_closure_needs_a_reason_and_a_date_not_past(admin_client):
    response = admin_client.post("/staff/fukuoka-plaza/closures/", {"date": "2026-11-20", "reason": ""})
    html = response.content.decode()
    assert "過去の日は閉庁日にできません。" in html and 'aria-invalid="true"' in html
    assert not Closure.objects.filter(date=date(2026, 11, 20)).exists()


def test_removing_a_closure_brings_the_slots_back(admin_client, office_a):
    admin_client.post("/staff/fukuoka-plaza/closures/", {"date": "2026-12-01", "reason": "研修"})
    closure = Closure.objects.get(date=TUESDAY)
    admin_client.post(f"/staff/fukuoka-plaza/closures/{closure.pk}/delete/")
    assert len(slots_on(admin_client, "2026-12-01")) == 2


def timetable_post(**changes):
    data = {
        "capacity": "1",
        "horizon_days": "60",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "2",
        "rules-MIN_NUM_FORMS": "1",
        "rules-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


@pytest.fixture
def rules(office_a):
    first, second = office_a.rules.order_by("position")
    return {
        "rules-0-id": str(first.pk),
        "rules-0-office": str(office_a.pk),
        "rules-0-weekdays": ["tue", "thu"],
        "rules-0-times": "17:15, 18:15",
        "rules-0-minutes": "30",
        "rules-1-id": str(second.pk),
        "rules-1-office": str(office_a.pk),
        "rules-1-weekdays": ["sat"],
        "rules-1-nth": ["2", "4"],
        "rules-1-times": "11:00, 13:00, 14:00, 15:00",
        "rules-1-minutes": "30",
    }


def test_the_timetable_saves_capacity_and_rules(admin_client, office_a, rules):
    response = admin_client.post(
        "/staff/fukuoka-plaza/timetable/",
        timetable_post(**{**rules, "capacity": "2", "rules-0-times": "17:15, 18:15, 19:15"}),
    )
    assert response.status_code == 302, response.content.decode()
    office_a.refresh_from_db()
    assert office_a.capacity == 2
    assert office_a.rules.order_by("position").first().times == ["17:15", "18:15", "19:15"]
    assert len(slots_on(admin_client, "2026-12-01")) == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rules-0-times", "25:00", "24時間制"),
        ("rules-0-minutes", "1000", "1枠の長さ"),
        ("capacity", "0", "席数"),
    ],
)
def test_the_timetable_refuses_what_load_offices_refuses(
    admin_client, office_a, rules, field, value, message
):
    response = admin_client.post("/staff/fukuoka-plaza/timetable/", timetable_post(**{**rules, field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    office_a.refresh_from_db()
    assert office_a.capacity == 1 and office_a.rules.first().times == ["17:15", "18:15"]


def test_a_timetable_change_lists_the_bookings_it_would_leave_and_keeps_them(admin_client, office_a, rules):
    booked = confirmed(office_a, jst(2026, 12, 1, 18, 15), now=NOW)
    change = timetable_post(**{**rules, "rules-0-times": "17:15"})
    preview = admin_client.post("/staff/fukuoka-plaza/timetable/", change)
    assert preview.status_code == 200 and booked.name in preview.content.decode()
    assert office_a.rules.order_by("position").first().times == ["17:15", "18:15"]
    saved = admin_client.post("/staff/fukuoka-plaza/timetable/", {**change, "confirm": "yes"})
    assert saved.status_code == 302
    assert office_a.rules.order_by("position").first().times == ["17:15"]
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED  # never dropped silently
    day = admin_client.get("/staff/fukuoka-plaza/day/2026-12-01/").content.decode()
    assert booked.name in day and "現在は枠のない時間帯" in day


def test_a_future_terms_version_is_announced_then_agreed_from_its_date(client, office_admin, office_a):
    with time_machine.travel(NOW, tick=False):
        client.force_login(office_admin)
        pass_second_factor(client, office_admin)
        response = client.post(
            "/staff/fukuoka-plaza/terms/",
            {
                "version": "2026-12-01",
                "effective_date": "2026-12-01",
                "title": "改定版の規約",
                "body": "第1条 改定",
            },
        )
        assert response.status_code == 302
        office_page = client.get("/o/fukuoka-plaza/").content.decode()
        assert "利用規約は 2026年12月1日（火） に改定されます。" in office_page
        assert "/o/fukuoka-plaza/terms/?v=2026-12-01" in office_page
        form = client.get("/o/fukuoka-plaza/book/20261201T1715/").content.decode()
        assert 'name="terms_version" value="demo-1"' in form and "改定されます" in form
        client.post("/o/fukuoka-plaza/book/20261201T1715/", {**PERSON})
        before = Booking.objects.get()
    assert before.terms.version == "demo-1"
    with time_machine.travel(jst(2026, 12, 1, 0, 0), tick=False):
        page = client.get("/o/fukuoka-plaza/").content.decode()
        assert "改定されます" not in page
        form = client.get("/o/fukuoka-plaza/book/20261201T1815/").content.decode()
        assert 'name="terms_version" value="2026-12-01"' in form and "改定版の規約" in form
        client.post(
            "/o/fukuoka-plaza/book/20261201T1815/",
            {**PERSON, "email": "x@example.jp", "phone": "080-1212-3434", "terms_version": "2026-12-01"},
        )
    after = Booking.objects.exclude(pk=before.pk).get()
    assert after.terms.version == "2026-12-01"
    before.refresh_from_db()
    assert before.terms.version == "demo-1"  # bookings keep the version agreed


def test_terms_cannot_take_effect_in_the_past_or_reuse_a_version(admin_client, office_a):
    past = admin_client.post(
        "/staff/fukuoka-plaza/terms/",
        {"version": "x", "effective_date": "2026-11-01", "title": "t", "body": "b"},
    )
    assert "効力発生日は今日以降の日付にしてください。" in past.content.decode()
    again = admin_client.post(
        "/staff/fukuoka-plaza/terms/",
        {"version": "demo-1", "effective_date": "2026-12-01", "title": "t", "body": "b"},
    )
    assert "この版はすでに公開されています。" in again.content.decode()
    assert TermsVersion.objects.filter(office=office_a).count() == 1


def test_counsellors_cannot_administer(client, counsellor):
    client.force_login(counsellor)
    for page in ("closures", "timetable", "terms"):
        assert client.get(f"/staff/fukuoka-plaza/{page}/").status_code == 403
