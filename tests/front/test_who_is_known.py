"""The booking form answers a known person, and a filled honeypot, with the "check your email" page.

SPEC §6 "Who is known": the page is the one a real hold gets, showing the address typed;
no seat is taken; only the address on file hears why (or nobody, for the honeypot).
"""

from __future__ import annotations

import re

from django.core import mail

from bookings.models import Booking, MailKind, OutgoingMail, Refusal
from tests.front.conftest import NOW
from tests.front.helpers import PERSON, hold, page

FORM = "/o/fukuoka-plaza/book/20261201T1715/"
LATER_FORM = "/o/fukuoka-plaza/book/20261201T1815/"


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def sent_page(client, response) -> str:
    assert response.status_code == 302
    assert response["Location"] == "/b/sent/"
    return page(client.get("/b/sent/"))


def test_a_known_person_sees_the_page_of_a_hold(client, fukuoka, clock, django_capture_on_commit_callbacks):
    real = sent_page(client, client.post(FORM, PERSON))
    first = Booking.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LATER_FORM, {**PERSON, "email": "Someone@Example.jp"})
    known = sent_page(client, response)
    assert "<strong>Someone@Example.jp</strong> に確認メールをお送りしました。" in known
    assert "2026年12月1日（火）18:15〜18:45" in known
    # The same page as a hold's: only the address and the slot differ.
    assert without_csrf(
        known.replace("Someone@Example.jp", "taro@example.jp").replace("18:15〜18:45", "17:15〜17:45")
    ) == without_csrf(real)
    assert list(Booking.objects.all()) == [first]
    [notice] = mail.outbox
    assert notice.to == ["taro@example.jp"]


def test_a_refused_person_sees_the_page_of_a_hold(client, fukuoka, clock):
    Refusal.objects.create(office=fukuoka, phone_key="+819012345678", reason="脅迫")
    html = sent_page(client, client.post(FORM, PERSON))
    assert "まだ予約は確定していません" in html
    assert not Booking.objects.exists()


def test_the_form_has_a_honeypot_people_never_meet(client, fukuoka, clock):
    html = page(client.get(FORM))
    assert (
        '<div class="vh" aria-hidden="true"><label for="id_leave_this_blank">この欄は空のままにしてください</label>'
        ' <input type="text" id="id_leave_this_blank" name="leave_this_blank" value="" tabindex="-1" autocomplete="off"></div>'
    ) in html


def test_a_filled_honeypot_gets_the_page_of_a_hold_and_nothing_is_kept_or_sent(client, fukuoka, clock):
    html = sent_page(client, client.post(FORM, {**PERSON, "leave_this_blank": "https://spam.example"}))
    assert "<strong>taro@example.jp</strong> に確認メールをお送りしました。" in html
    assert not Booking.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_an_empty_honeypot_books_as_usual(client, fukuoka, clock):
    sent_page(client, client.post(FORM, {**PERSON, "leave_this_blank": ""}))
    booking = Booking.objects.get()
    assert list(booking.mails.values_list("kind", flat=True)) == [MailKind.CONFIRM_REQUEST]


def test_the_page_after_a_hold_needs_a_hold(client, fukuoka, clock):
    response = client.get("/b/sent/")
    assert response.status_code == 302


def test_a_real_hold_remembers_nothing_but_what_the_page_shows(client, fukuoka, clock):
    hold(fukuoka, NOW.replace(hour=18, minute=15), now=NOW, email="hanako@example.jp", phone="080-9876-5432")
    client.post(FORM, PERSON)
    held = client.session["held_booking"]
    assert set(held) == {"office", "start", "end", "expires_at", "email"}
