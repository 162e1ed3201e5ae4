"""The .ics attachment of the completion mail, made with `icalendar`."""

from __future__ import annotations

from datetime import UTC

from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from bookings.models import Booking


def booking_ics(booking: Booking) -> bytes:
    with translation.override(booking.language):
        calendar = Calendar()
        calendar.add("prodid", "-//madoguchi//online consultation//JA")
        calendar.add("version", "2.0")
        calendar.add("method", "PUBLISH")
        event = Event()
        event.add("uid", f"{booking.pk}@madoguchi")
        event.add("dtstamp", (booking.confirmed_at or booking.created_at).astimezone(UTC))
        event.add("dtstart", booking.start.astimezone(UTC))
        event.add("dtend", booking.end.astimezone(UTC))
        event.add("summary", _("オンライン職業相談：%(office)s") % {"office": booking.office.display_name})
        event.add("location", booking.meeting_url)
        event.add("url", booking.meeting_url)
        event.add(
            "description",
            _("参加用リンク：%(url)s\n窓口の電話番号：%(phone)s\n当日のキャンセルは電話でのみ受け付けます。")
            % {"url": booking.meeting_url, "phone": booking.office.phone},
        )
        calendar.add_component(event)
    return calendar.to_ical()
