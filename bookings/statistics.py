"""Statistics per office and week (R10, R11): counts only, never per person or per device.

Every figure is computed from fields that retention keeps (status, start,
cancelled_by, confirmed_at, office), so erasing or anonymising old bookings
never changes a past week's figures. The one other field read, `expires_at`,
only decides between "awaiting confirmation" and "expired" for a pending
booking whose slot has not started yet, which retention never touches.

Statuses are read as the rules see them at `now` (`Booking.status_at`),
whether or not the worker has run: a pending hold past its expiry counts as
expired (R5), a confirmed booking 10 minutes past its start as a no-show (R8).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db.models import Count, Q

from bookings.models import NO_SHOW_AFTER, Booking, CancelledBy, Status
from offices.models import Office
from offices.services import scheduled_slots

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class WeekStats:
    """One office week, Monday 00:00 to the next Monday 00:00 in the office's time zone.

    A booking belongs to the week of its slot's start (office time), whenever it was made.

    - bookings: every booking made for a slot of the week, in any status (holds never
      confirmed included). It is the sum of the seven outcomes below: pending, upcoming,
      expired, cancelled_by_link, cancelled_by_phone, no_show and attended.
    - confirmed: bookings ever confirmed (`confirmed_at` set), including those later
      cancelled or marked; not one of the outcomes, a count across them.
    - expired: holds not confirmed in time (R5), marked by the worker or not.
    - cancelled_by_link: cancelled by the person with the emailed link (R7).
    - cancelled_by_phone: cancelled by staff on the person's behalf (R7).
    - no_show: marked no-show, or confirmed and unmarked 10 minutes after the start (R8).
    - attended: marked attended by staff (R8).
    - pending: holds still awaiting confirmation (only for slots not yet started).
    - upcoming: confirmed, and not yet 10 minutes past the start (a future slot, or one
      under way).
    - seats_offered: the sum of the capacities of the week's scheduled slots, closed days
      left out (R2, R3). The timetable is not versioned: past weeks are measured with the
      office's current slot rules and closures.
    - seats_used: bookings that kept their seat to the end of the hold: attended, no-show
      and upcoming. A no-show used the seat: nobody else could take it. Pending holds do
      not count (they may still lapse), nor do cancelled or expired ones, which gave the
      seat back. Counted only in scheduled slots and at most their capacity each, so a
      booking left in a slot that a later closure removed does not push the share past 1.
    """

    week_start: date
    bookings: int = 0
    confirmed: int = 0
    expired: int = 0
    cancelled_by_link: int = 0
    cancelled_by_phone: int = 0
    no_show: int = 0
    attended: int = 0
    pending: int = 0
    upcoming: int = 0
    seats_offered: int = 0
    seats_used: int = 0

    @property
    def week_end(self) -> date:
        """The Sunday that ends the week."""
        return self.week_start + timedelta(days=6)

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_link + self.cancelled_by_phone

    @property
    def ahead(self) -> int:
        """Bookings still to come: confirmed (upcoming) or awaiting confirmation."""
        return self.upcoming + self.pending

    @property
    def share_used(self) -> float | None:
        """seats_used / seats_offered, between 0 and 1; None for a week that offered nothing."""
        if not self.seats_offered:
            return None
        return self.seats_used / self.seats_offered


# The figures counted from bookings, in the order of WeekStats.
COUNTED = (
    "bookings",
    "confirmed",
    "expired",
    "cancelled_by_link",
    "cancelled_by_phone",
    "no_show",
    "attended",
    "pending",
    "upcoming",
)
FIGURES = tuple(f.name for f in fields(WeekStats) if f.name != "week_start")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _outcomes(now: datetime) -> dict[str, Q]:
    """The query form of `Booking.status_at(now)`, one condition per counted figure."""
    no_show_from = now - NO_SHOW_AFTER  # R8
    pending = Q(status=Status.PENDING)
    return {
        "confirmed": Q(confirmed_at__isnull=False),
        # R5: a hold lapses at expires_at, which is never after the start; the start is
        # checked too so that a slot long past never depends on anything but its status.
        "expired": Q(status=Status.EXPIRED) | (pending & (Q(expires_at__lte=now) | Q(start__lte=now))),
        "cancelled_by_link": Q(status=Status.CANCELLED, cancelled_by=CancelledBy.LINK),
        "cancelled_by_phone": Q(status=Status.CANCELLED, cancelled_by=CancelledBy.PHONE),
        "no_show": Q(status=Status.NO_SHOW) | Q(status=Status.CONFIRMED, start__lte=no_show_from),
        "attended": Q(status=Status.ATTENDED),
        "pending": pending & Q(expires_at__gt=now, start__gt=now),
        "upcoming": Q(status=Status.CONFIRMED, start__gt=no_show_from),
    }


def weekly_statistics(office: Office, *, first_week: date, weeks: int, now: datetime) -> list[WeekStats]:
    """The figures of `weeks` consecutive weeks, from the week that contains `first_week`.

    One aggregate query over the whole range (grouped by slot start), plus the
    office's timetable and closures for the seats offered.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    tz = office.tz
    first = monday_of(first_week)
    after = first + weeks * WEEK
    range_start = datetime.combine(first, time(0), tzinfo=tz)
    range_end = datetime.combine(after, time(0), tzinfo=tz)

    counts = {"bookings": Count("pk")}
    counts.update({name: Count("pk", filter=condition) for name, condition in _outcomes(now).items()})
    per_slot = cast(
        "Iterable[dict[str, Any]]",
        Booking.objects.filter(office=office, start__gte=range_start, start__lt=range_end)
        .order_by()
        .values("start")
        .annotate(**counts),
    )
    slots = {
        slot.start: slot for slot in scheduled_slots(office, first=first, last=after - timedelta(days=1))
    }

    totals: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for slot in slots.values():
        totals[monday_of(slot.start.date())]["seats_offered"] += slot.capacity
    for row in per_slot:
        week = totals[monday_of(row["start"].astimezone(tz).date())]
        for name in COUNTED:
            week[name] += row[name]
        scheduled = slots.get(row["start"])
        if scheduled is not None:
            held = row["attended"] + row["no_show"] + row["upcoming"]
            week["seats_used"] += min(held, scheduled.capacity)
    return [WeekStats(week_start=first + n * WEEK, **totals[first + n * WEEK]) for n in range(weeks)]


def total_of(weeks: list[WeekStats]) -> WeekStats:
    """The figures of several weeks added up (the share is then over the whole range)."""
    if not weeks:
        raise ValueError("no weeks to add up")
    sums = {name: sum(getattr(week, name) for week in weeks) for name in FIGURES}
    return WeekStats(week_start=weeks[0].week_start, **sums)
