"""SPEC §5: the links each mail carries, the same in its text and HTML parts."""

import re

import pytest

from bookings.emails import render_mail
from bookings.models import MailKind, OutgoingMail
from bookings.services import booking_cancel
from tests.bookings.factories import cancel_token, confirm, confirm_token, hold
from tests.conftest import jst

BASE = "https://madoguchi.example.jp"
START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.MADOGUCHI_BASE_URL = BASE


def rendered(booking, kind):
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=kind))
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message, message.body, html


def links(text):
    return set(URL.findall(text))


def test_it_puts_one_confirm_link_in_the_confirmation_request(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    _, text, html = rendered(booking, MailKind.CONFIRM_REQUEST)
    expected = f"{BASE}/b/confirm/{confirm_token(booking)}"
    assert links(text) == {expected}
    assert links(html) == {expected}


def test_it_makes_confirm_tokens_long(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    assert len(confirm_token(booking)) >= 40
    assert confirm_token(booking) != cancel_token(booking)


def test_it_keeps_the_meeting_link_out_of_the_confirmation_request(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    message, text, html = rendered(booking, MailKind.CONFIRM_REQUEST)
    for part in (message.subject, text, html):
        assert "meet.example.org" not in part
        assert "/b/cancel/" not in part
    assert message.attachments == []


def test_it_puts_one_cancel_link_and_the_meeting_link_in_the_completion(fukuoka):
    booking = confirm(hold(fukuoka, START, now=NOW), now=NOW)
    _, text, html = rendered(booking, MailKind.COMPLETION)
    cancel = f"{BASE}/b/cancel/{cancel_token(booking)}"
    assert booking.meeting_url.startswith("https://meet.example.org/room/")
    for part in (text, html):
        found = links(part)
        assert [link for link in found if "/b/" in link] == [cancel]
        assert booking.meeting_url in found
        assert "/b/confirm/" not in part


def test_it_puts_the_office_phone_in_the_completion(fukuoka):
    booking = confirm(hold(fukuoka, START, now=NOW), now=NOW)
    _, text, html = rendered(booking, MailKind.COMPLETION)
    assert "092-000-0000" in text
    assert "092-000-0000" in html


def test_it_sends_the_mail_with_its_outbox_message_id(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    mail = OutgoingMail.objects.get(booking=booking, kind=MailKind.CONFIRM_REQUEST)
    message = render_mail(mail)
    assert message.extra_headers["Message-ID"] == mail.message_id
    assert message.to == ["taro@example.jp"]


def test_it_puts_no_link_to_act_on_in_the_cancellation_notice(fukuoka):
    booking = confirm(hold(fukuoka, START, now=NOW), now=NOW)
    booking_cancel(token=cancel_token(booking), now=NOW)
    _, text, html = rendered(booking, MailKind.CANCELLATION)
    for part in (text, html):
        assert "/b/" not in part
        assert booking.meeting_url not in part
