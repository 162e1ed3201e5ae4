"""/dev/mailbox/ (DEBUG only): local times, the HTML part shown safely, the .ics to download."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from bookings.emails import render_mail
from bookings.mailbox import MailboxBackend, mailbox_dir
from bookings.models import MailKind, OutgoingMail
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import confirmed, page


@pytest.fixture
def mailbox(settings, tmp_path, fukuoka, clock):
    settings.DEBUG = True
    settings.MADOGUCHI_MAILBOX_DIR = tmp_path / "mailbox"
    booking = confirmed(fukuoka, jst(2026, 12, 3, 17, 15), now=NOW)
    mail = OutgoingMail.objects.get(booking=booking, kind=MailKind.COMPLETION)
    MailboxBackend().send_messages([render_mail(mail)])
    [eml] = mailbox_dir().glob("*.eml")
    return eml.name


def test_it_lists_mail_in_japan_time_not_utc(client, mailbox):
    html = page(client.get("/dev/mailbox/"))
    # Sent at 10:00 in Fukuoka, 01:00 UTC: the Date header says "01:00:00 -0000".
    assert "2026年12月1日（火）10:00" in html
    assert "-0000" not in html and "01:00" not in html
    html = page(client.get(f"/dev/mailbox/{mailbox}"))
    assert "2026年12月1日（火）10:00" in html


def test_it_shows_the_html_part_in_a_sandboxed_frame(client, mailbox):
    html = page(client.get(f"/dev/mailbox/{mailbox}"))
    frame = re.search(r'<iframe[^>]*src="(/dev/mailbox/[^"]+/html)"[^>]*>', html)
    assert frame and " sandbox" in frame.group(0)

    response = client.get(frame.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox")  # no script, no same-origin access, whatever the mail holds
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "予約が確定しました" in page(response)
    assert "/b/cancel/" in page(response)


def test_it_offers_the_calendar_file_for_download(client, mailbox):
    html = page(client.get(f"/dev/mailbox/{mailbox}"))
    link = re.search(r'<a href="(/dev/mailbox/[^"]+/attachment/\d+)"[^>]*>([^<]+\.ics)</a>', html)
    assert link
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="{link.group(2)}"'
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("dtstart") == jst(2026, 12, 3, 17, 15)


def test_it_refuses_what_is_not_there(client, mailbox):
    assert client.get(f"/dev/mailbox/{mailbox}/attachment/5").status_code == 404
    assert client.get("/dev/mailbox/not-a-mail.eml/html").status_code == 404


def test_it_is_gone_without_debug(client, mailbox, settings):
    settings.DEBUG = False
    for url in ("/dev/mailbox/", f"/dev/mailbox/{mailbox}", f"/dev/mailbox/{mailbox}/html",
                f"/dev/mailbox/{mailbox}/attachment/0"):  # fmt: skip
        assert client.get(url).status_code == 404
