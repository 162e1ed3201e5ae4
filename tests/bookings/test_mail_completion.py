"""R6/R13: the completion mail gives the date in Japanese, the meeting link and a calendar file."""

import re
from datetime import UTC, datetime

from icalendar import Calendar

from bookings.emails import render_mail
from bookings.models import MailKind, OutgoingMail
from tests.bookings.factories import OTHER, confirm, hold, second_office
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)
ROOM = re.compile(r"^https://meet\.example\.org/room/([A-Za-z0-9_-]+)$")


def completion(booking):
    return render_mail(OutgoingMail.objects.get(booking=booking, kind=MailKind.COMPLETION))


def test_it_writes_the_date_the_japanese_way(fukuoka):
    message = completion(confirm(hold(fukuoka, START, now=NOW), now=NOW))
    [(html, _)] = message.alternatives
    assert "2026年12月1日（火）17:15" in message.subject
    assert "2026年12月1日（火）17:15〜17:45" in message.body
    assert "2026年12月1日（火）17:15〜17:45" in html


def test_it_gives_the_confirmation_deadline_in_office_time(fukuoka):
    booking = hold(fukuoka, START, now=NOW)
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=MailKind.CONFIRM_REQUEST))
    assert "2026年11月26日（木）11:00" in message.body
    assert "2026年12月1日（火）17:15〜17:45" in message.body


def test_it_writes_the_date_the_english_way_for_an_english_booking(fukuoka):
    message = completion(confirm(hold(fukuoka, START, now=NOW, language="en"), now=NOW))
    assert "Tue 1 December 2026, 17:15–17:45 JST" in message.body


def test_it_attaches_a_calendar_file_with_the_start_in_utc(fukuoka):
    booking = confirm(hold(fukuoka, START, now=NOW), now=NOW)
    [(filename, content, mimetype)] = completion(booking).attachments
    assert filename.endswith(".ics")
    assert mimetype.startswith("text/calendar")
    raw = content if isinstance(content, bytes) else content.encode()
    assert b"DTSTART:20261201T081500Z" in raw
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 8, 15, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 1, 8, 45, tzinfo=UTC)
    assert str(event.get("url")) == booking.meeting_url


def test_it_gives_each_booking_its_own_unguessable_room(fukuoka):
    first = confirm(hold(fukuoka, START, now=NOW), now=NOW)
    second = confirm(hold(fukuoka, jst(2026, 12, 1, 18, 15), now=NOW, **OTHER), now=NOW)
    rooms = [ROOM.match(b.meeting_url)[1] for b in (first, second)]
    assert rooms[0] != rooms[1]
    assert all(len(room) >= 22 for room in rooms)


def test_it_gives_the_fixed_room_when_the_office_has_one(fukuoka):
    office = second_office()
    booking = confirm(hold(office, START, now=NOW), now=NOW)
    assert booking.meeting_url == "https://meet.example.org/fixed-room"
    assert booking.meeting_url in completion(booking).body
