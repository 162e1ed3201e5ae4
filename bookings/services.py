"""The booking lifecycle (R4–R9, R13). Every rule takes `now` as an argument."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from bookings import errors
from bookings.forms import Applicant
from bookings.models import (
    NO_SHOW_AFTER,
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    CancelledBy,
    EventKind,
    MailKind,
    OutgoingMail,
    Refusal,
    Status,
    holds_seat,
)
from bookings.outbox import queue_mail
from bookings.selectors import HoldFacts, hold_facts
from bookings.tokens import CANCEL, CONFIRM, make_token, new_salt, token_hash
from madoguchi import ratelimits
from offices.models import Office
from offices.schedule import Slot
from offices.services import current_terms_id, find_bookable_slot, office_today

# Tokens are URL-safe base64 (tokens.make_token); anything else is not ours.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")

# Staff may mark a person who joins a little early as attended.
JOIN_EARLY = timedelta(minutes=15)

# Reminders go out from this hour (office time) on the day before.
REMINDER_HOUR = 9


def confirm_window() -> timedelta:
    return timedelta(seconds=settings.MADOGUCHI_CONFIRM_WINDOW_SECONDS)


def active_bookings(office: Office, *, now: datetime) -> QuerySet[Booking]:
    """SPEC §6: holding a seat in a slot that has not started (a pending hold not yet
    expired, or a confirmed one, also when staff marked it a little early)."""
    return Booking.objects.filter(holds_seat(now), office=office, start__gt=now)


def is_refused(office: Office, *, email_key: str, phone_key: str) -> bool:
    same_person = Q(email_key=email_key) | Q(phone_key=phone_key)
    return Refusal.objects.filter(same_person, office=office, lifted_at__isnull=True).exists()


# --- Who is known (SPEC §6) and slot hoarding --------------------------------------------
# A person who already holds an active booking at the office, or who is refused there (R9),
# gets the answer of a hold and takes no seat; only the address on file is told why.

# A known person's notice goes to one booking at most once in this interval, however often
# someone types their details: the typed address has its own limit, the address on file this.
NOTICE_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class Known:
    error: type[errors.KnownPerson]
    mail: MailKind
    on_file: Booking | None  # whose address is told; None when the office has none


def known_person(office: Office, *, applicant: Applicant, facts: HoldFacts) -> Known | None:
    if facts.refused:  # R9
        return Known(errors.Refused, MailKind.NOT_AVAILABLE, _refused_on_file(office, applicant))
    if facts.existing is not None:
        return Known(errors.LimitReached, MailKind.ALREADY_BOOKED, Booking.objects.get(pk=facts.existing))
    return None


def _refused_on_file(office: Office, applicant: Applicant) -> Booking | None:
    """The newest address the office has for the refused person: from their bookings there,
    matched by the keys the refusal was recorded with (never the newly typed address)."""
    same_person = Q(email_key=applicant.email_key) | Q(phone_key=applicant.phone_key)
    keys = Q(pk__in=[])
    for refusal in Refusal.objects.filter(same_person, office=office, lifted_at__isnull=True):
        if refusal.email_key:
            keys |= Q(email_key=refusal.email_key)
        if refusal.phone_key:
            keys |= Q(phone_key=refusal.phone_key)
    return Booking.objects.filter(keys, office=office).exclude(email="").order_by("-created_at").first()


def notify_known_person(known: Known, *, now: datetime) -> None:
    """Queue the notice to the address on file; call inside the hold's transaction."""
    if known.on_file is None:
        return
    recent = OutgoingMail.objects.filter(
        booking=known.on_file, kind=known.mail, created_at__gt=now - NOTICE_INTERVAL
    ).exists()
    if not recent:
        queue_mail(known.on_file, known.mail, now=now)


def check_pending_holds(*, origin: str, now: datetime) -> None:
    """Slot hoarding: at most ratelimits.PENDING_HOLDS_PER_ADDRESS un-expired pending holds
    from one address (/64) at a time. Call inside the hold's transaction."""
    cap = ratelimits.pending_cap()
    if not origin or cap is None:
        return
    if connection.vendor == "postgresql":
        # The office lock serialises one office; this serialises one origin across offices.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"madoguchi-origin:{origin}"]
            )
    expiries = list(
        Booking.objects.filter(origin=origin, status=Status.PENDING, expires_at__gt=now)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)[:cap]
    )
    if len(expiries) >= cap:
        raise errors.RateLimited(retry_after=max(1, math.ceil((expiries[0] - now).total_seconds())))


def _bookable(office: Office, *, start: datetime, now: datetime) -> tuple[Slot, int]:
    """The slot starting at `start` and the pk of the terms in force, as of office.revision."""
    slot = find_bookable_slot(office, start=start, now=now)
    if slot is None:
        raise errors.Invalid(
            fields={"start": [_("この日時は予約できる枠ではありません。カレンダーから枠をお選びください。")]}
        )
    terms_id = current_terms_id(office, today=office_today(office, now=now))
    if terms_id is None:
        raise errors.NotFound(_("この窓口は現在オンライン予約を受け付けていません。"))
    return slot, terms_id


def free_seat(office: Office, slot: Slot, *, now: datetime, facts: HoldFacts | None = None) -> int | None:
    """The seat number a new hold in `slot` takes, or None when the slot is full.

    Call under the office lock, with the slot's `facts` when they were just read there. Full means as many bookings holding a seat at `now` as the
    slot has seats (holds_seat: a lapsed pending hold no longer counts). The number must also
    be free of every row the one_booking_per_seat constraint covers, lapsed holds included:
    usually the next number above the highest; else a gap; else lapsed holds of the slot are
    expired (with their notices) to give their numbers back.
    """

    def rows() -> QuerySet[Booking]:  # built only when needed: not on the common path
        return Booking.objects.filter(office=office, start=slot.start, status__in=SEAT_HOLDING)

    if facts is None:
        counts = rows().aggregate(holding=Count("pk", filter=holds_seat(now)), top=Max("seat"))
        holding, top = counts["holding"], counts["top"] or 0
    else:
        holding, top = facts.holding, facts.top
    if holding >= slot.capacity:
        return None
    if top < slot.capacity:
        return top + 1
    for attempt in range(2):
        taken = set(rows().values_list("seat", flat=True))
        free = [seat for seat in range(1, slot.capacity + 1) if seat not in taken]
        if free:
            return free[0]
        if attempt == 0:
            expire_due_holds(now=now, office=office, start=slot.start)
    return None


class _RecordFailed(Exception):
    """booking_hold's `record` could not write: its transaction is begun again without it."""


def booking_hold(
    *,
    office: Office,
    start: datetime,
    applicant: Applicant,
    language: str,
    now: datetime,
    origin: str = "",
    record: Callable[[], object] | None = None,
) -> Booking:
    """R4/R5: take a seat as a pending booking and write the confirmation request.

    A person already known at the office (SPEC §6) takes no seat: the address on file is
    mailed, then errors.KnownPerson is raised for booking_request to answer like a hold.
    `origin` is the keyed hash of the client's address (madoguchi.ratelimits.origin_of).
    `record`, if given, is called first thing inside the hold's transaction: the request's
    access record (R10), so that the hold and its record are one write (if the transaction
    rolls back, the record goes with it, and the access-record middleware writes it again).
    It runs without a savepoint: if it raises, the hold is taken in a new transaction
    without it, so a record that cannot be written never costs the booking.
    """
    slot, terms_id = _bookable(office, start=start, now=now)
    # Per recipient, and only once the request is valid: a typo locks nobody out.
    ratelimits.hit_recipient(applicant.email_key, now=now)
    # Everything that needs no lock is made before it is taken: the lock is the rush's bottleneck.
    salt = new_salt()
    booking = Booking(
        office=office,
        start=slot.start,
        end=slot.end,
        name=applicant.name,
        email=applicant.email,
        email_key=applicant.email_key,
        phone=applicant.phone,
        phone_key=applicant.phone_key,
        jobseeker_number=applicant.jobseeker_number,
        note=applicant.note,
        support=applicant.support,
        language=language,
        created_at=now,
        # R5: the window, and never past the start of the slot.
        expires_at=min(now + confirm_window(), slot.start),
        token_salt=salt,
        confirm_token_hash=token_hash(make_token(salt=salt, purpose=CONFIRM)),
        cancel_token_hash=token_hash(make_token(salt=salt, purpose=CANCEL)),
        origin=origin,
    )

    def take_seat(record: Callable[[], object] | None) -> Known | None:
        nonlocal slot, terms_id
        with transaction.atomic(durable=True):
            if record is not None:
                # First, and before the lock to keep the lock short; gone with the hold if it
                # rolls back. No savepoint (two round trips less): should the write fail, the
                # transaction is begun again without it (below).
                try:
                    record()
                except Exception as exc:
                    raise _RecordFailed() from exc
            # The confirmation request too: its booking's row follows under the lock (the
            # foreign key is checked at commit), and it goes if no booking is made.
            mail = queue_mail(booking, MailKind.CONFIRM_REQUEST, now=now)
            # Serialise the office's bookings: FOR UPDATE on PostgreSQL; on
            # SQLite the IMMEDIATE transaction already holds the write lock.
            if connection.features.has_select_for_update:
                Office.objects.select_for_update().filter(pk=office.pk).values_list("pk").get()
            check_pending_holds(origin=origin, now=now)
            # One query, after the lock (so on PostgreSQL with a snapshot taken after it).
            facts = hold_facts(
                office, slot, email_key=applicant.email_key, phone_key=applicant.phone_key, now=now
            )
            if facts.revision != office.revision:
                # R3: the timetable, closures or terms changed since the slot was found (its day
                # closed, say): look again, now that no change can come in before the hold.
                office.revision = facts.revision
                slot, terms_id = _bookable(office, start=start, now=now)
            known = known_person(office, applicant=applicant, facts=facts)
            # Expires the slot's lapsed holds if need be.
            seat = free_seat(office, slot, now=now, facts=facts)
            if seat is None:
                raise errors.SlotFull()
            if known is not None:
                # SPEC §6: everything a stranger could be told has been said by now; from
                # here on the answer is a hold's, and only the address on file learns why.
                # (The worker, woken for the request withdrawn, finds nothing to send.)
                OutgoingMail.objects.filter(pk=mail.pk).delete()
                notify_known_person(known, now=now)
            else:
                # The slot as found under the lock: its length too, should the timetable
                # have changed since the row was made.
                booking.seat, booking.terms_id, booking.end = seat, terms_id, slot.end
                booking.save(force_insert=True)
        return known

    try:
        try:
            known = take_seat(record)
        except _RecordFailed:
            known = take_seat(None)  # the caller writes the record once the answer is known
    except (IntegrityError, errors.SlotFull) as exc:
        # A full slot sent no mail, so it does not count against the person.
        ratelimits.refund_recipient(applicant.email_key, now=now)
        if isinstance(exc, IntegrityError):
            # The seat constraint caught a race the lock did not: still a clean answer.
            raise errors.SlotFull() from exc
        raise
    if known is not None:
        raise known.error(
            office=office, start=slot.start, end=slot.end, expires_at=min(now + confirm_window(), slot.start)
        )
    return booking


def _by_token(token: str, field: str, *, lock: bool = True) -> Booking:
    if not TOKEN_SHAPE.fullmatch(token):
        raise errors.NotFound()
    bookings = Booking.objects.select_related("office")
    if lock:
        bookings = bookings.select_for_update(of=("self",))
    booking = bookings.filter(**{field: token_hash(token)}).first()
    if booking is None:
        raise errors.NotFound()
    return booking


def find_by_confirm_token(token: str) -> Booking:
    return _by_token(token, "confirm_token_hash", lock=False)


def find_by_cancel_token(token: str) -> Booking:
    return _by_token(token, "cancel_token_hash", lock=False)


def meeting_url_for(office: Office) -> str:
    # R13: a per-booking room with an unguessable id, or the office's fixed room.
    if "{room}" in office.meeting_url:
        return office.meeting_url.replace("{room}", secrets.token_urlsafe(18))
    return office.meeting_url


def booking_confirm(*, token: str, now: datetime) -> Booking:
    """R5/R6: confirm within the window and before the start; idempotent."""
    with transaction.atomic(durable=True):
        booking = _by_token(token, "confirm_token_hash")
        if booking.status in (Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW):
            return booking
        if booking.status == Status.PENDING and now < booking.expires_at:
            booking.status = Status.CONFIRMED
            booking.confirmed_at = now
            booking.meeting_url = meeting_url_for(booking.office)
            booking.save(update_fields=["status", "confirmed_at", "meeting_url"])
            queue_mail(booking, MailKind.COMPLETION, now=now)
            return booking
        if booking.status == Status.PENDING:
            _expire(booking, now=now)
    # Outside the transaction, so that the expiry above is kept.
    if booking.status == Status.CANCELLED:
        raise errors.Expired(_("この予約はキャンセルされているため、確定できません。"))
    raise errors.Expired()


def _expire(booking: Booking, *, now: datetime) -> bool:
    updated = Booking.objects.filter(pk=booking.pk, status=Status.PENDING).update(status=Status.EXPIRED)
    if updated:
        booking.status = Status.EXPIRED
        queue_mail(booking, MailKind.EXPIRY, now=now)
    return bool(updated)


def expire_due_holds(*, now: datetime, office: Office | None = None, start: datetime | None = None) -> int:
    """R5: pending bookings past their expiry become expired, with a notice each."""
    due = Booking.objects.filter(status=Status.PENDING, expires_at__lte=now)
    if office is not None:
        due = due.filter(office=office)
    if start is not None:
        due = due.filter(start=start)
    count = 0
    for booking in due.select_related("office"):
        with transaction.atomic():
            count += _expire(booking, now=now)
    return count


def booking_cancel(*, token: str, now: datetime) -> Booking:
    """R7: cancel by the link until the day before (office time); idempotent."""
    with transaction.atomic(durable=True):
        booking = _by_token(token, "cancel_token_hash")
        if booking.status == Status.CANCELLED:
            return booking
        check_link_cancellable(booking, now=now)
        return _cancel(booking, now=now, by=CancelledBy.LINK)


def check_link_cancellable(booking: Booking, *, now: datetime) -> None:
    if booking.status_at(now) != Status.CONFIRMED or now >= booking.start:
        raise errors.NotCancellable()
    if office_today(booking.office, now=now) >= booking.local_start.date():
        # R7: on the day itself only by phone.
        raise errors.SameDay(
            _("相談当日のキャンセルは電話でのみ受け付けています。%(office)s（%(phone)s）までお電話ください。")
            % {"office": booking.office.display_name, "phone": booking.office.phone}
        )


def booking_cancel_by_phone(*, booking: Booking, now: datetime, by: User | None = None) -> Booking:
    """R7: staff cancel on the user's behalf, recorded as a phone cancellation."""
    with transaction.atomic(durable=True):
        # Lock the booking row only: holds lock the office row first, then bookings.
        booking = Booking.objects.select_for_update(of=("self",)).select_related("office").get(pk=booking.pk)
        if booking.status == Status.CANCELLED:
            return booking
        if booking.status_at(now) not in (Status.PENDING, Status.CONFIRMED) or now >= booking.start:
            raise errors.NotCancellable()
        BookingEvent.objects.create(
            booking=booking, at=now, kind=EventKind.CANCELLED_BY_PHONE, by=by, from_status=booking.status
        )
        return _cancel(booking, now=now, by=CancelledBy.PHONE)


def _cancel(booking: Booking, *, now: datetime, by: str) -> Booking:
    booking.status = Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    queue_mail(booking, MailKind.CANCELLATION, now=now)
    return booking


def mark_no_shows(*, now: datetime) -> int:
    """R8: confirmed and not joined by 10 minutes after the start."""
    return Booking.objects.filter(status=Status.CONFIRMED, start__lte=now - NO_SHOW_AFTER).update(
        status=Status.NO_SHOW, no_show_at=now
    )


def mark_attended(*, booking: Booking, now: datetime, by: User | None = None) -> Booking:
    """R8: staff mark attendance when the user joins, and may correct a no-show."""
    if now < booking.start - JOIN_EARLY:
        raise errors.NotCancellable(_("相談の開始15分前から「相談済み」にできます。"))
    return _mark(booking, status=Status.ATTENDED, stamp="attended_at", now=now, by=by)


def mark_no_show(*, booking: Booking, now: datetime, by: User | None = None) -> Booking:
    """R8: staff may also correct an attendance to a no-show, once the slot has started."""
    if now < booking.start:
        raise errors.NotCancellable(_("相談の開始前は「無断欠席」にできません。"))
    return _mark(booking, status=Status.NO_SHOW, stamp="no_show_at", now=now, by=by)


def _mark(booking: Booking, *, status: str, stamp: str, now: datetime, by: User | None) -> Booking:
    with transaction.atomic():
        # Re-read under a lock: a cancellation made a moment ago must not be overwritten.
        booking = Booking.objects.select_for_update(of=("self",)).select_related("office").get(pk=booking.pk)
        if booking.status not in (Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW):
            raise errors.NotCancellable(_("確定済みの予約だけを記録できます。"))
        if booking.status == status:
            return booking  # a second click on the same button
        BookingEvent.objects.create(
            booking=booking, at=now, kind=EventKind(status), by=by, from_status=booking.status
        )
        booking.status = status
        setattr(booking, stamp, now)
        booking.save(update_fields=["status", stamp])
    return booking


def booking_note(*, booking: Booking, note: str, now: datetime, by: User | None = None) -> Booking:
    """Staff's internal note on a booking; never shown to the person."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        booking.staff_note = note
        booking.save(update_fields=["staff_note"])
        BookingEvent.objects.create(
            booking=booking, at=now, kind=EventKind.NOTE, by=by, from_status=booking.status
        )
    return booking


def send_due_reminders(*, now: datetime) -> int:
    """A reminder on the day before, from REMINDER_HOUR office time."""
    count = 0
    candidates = Booking.objects.filter(
        status=Status.CONFIRMED,
        reminder_sent_at__isnull=True,
        start__gt=now,
        start__lte=now + timedelta(days=2),
    ).select_related("office")
    for booking in candidates:
        local_now = now.astimezone(booking.office.tz)
        day_before = booking.local_start.date() - timedelta(days=1)
        if local_now.date() != day_before or local_now.hour < REMINDER_HOUR:
            continue
        with transaction.atomic():
            updated = Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not updated:
                continue
            confirmed_at = booking.confirmed_at or now
            # Confirmed on the day before: the completion mail said it all just now.
            if confirmed_at.astimezone(booking.office.tz).date() < day_before:
                queue_mail(booking, MailKind.REMINDER, now=now)
                count += 1
    return count
