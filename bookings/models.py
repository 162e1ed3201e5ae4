from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.dates import format_datetime, format_slot
from offices.models import Office, TermsVersion

# R8: not joined 10 minutes after the start means no-show.
NO_SHOW_AFTER = timedelta(minutes=10)


class Status(models.TextChoices):
    PENDING = "pending", _("確認待ち")
    CONFIRMED = "confirmed", _("確定")
    EXPIRED = "expired", _("期限切れ")
    CANCELLED = "cancelled", _("キャンセル")
    ATTENDED = "attended", _("相談済み")
    NO_SHOW = "no_show", _("無断欠席")


# Statuses whose booking occupies its seat number (see the constraint below).
# An expired or cancelled booking gives its seat back.
SEAT_HOLDING = [Status.PENDING, Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW]


def holds_seat(now: datetime | models.Expression) -> models.Q:
    """The one definition of a booking that holds its seat at `now`.

    A pending hold counts until it expires (R5), whether or not the worker has
    marked it; every other seat-holding status counts, including attended or
    no-show marked a little before the start. `now` may be a madoguchi.prepared.Param.
    """
    return models.Q(status=Status.PENDING, expires_at__gt=now) | models.Q(
        status__in=[Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW]
    )


class CancelledBy(models.TextChoices):
    LINK = "link", _("本人（メールのリンク）")
    PHONE = "phone", _("職員（本人からの電話）")
    OFFICE = "office", _("窓口の都合（臨時閉庁）")


class Booking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    seat = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    name = models.CharField(_("氏名"), max_length=100)
    email = models.EmailField(_("メールアドレス"), max_length=254)
    email_key = models.CharField(max_length=254, db_index=True)  # case-folded email
    phone = models.CharField(_("電話番号"), max_length=32)
    phone_key = models.CharField(max_length=20, db_index=True)  # E.164
    jobseeker_number = models.CharField(_("求職番号"), max_length=20, blank=True)
    note = models.TextField(_("自由記入欄"), blank=True, max_length=1000)
    support = models.BooleanField(_("通訳者・介助者の同席"), default=False)
    language = models.CharField(max_length=8, default="ja")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="bookings")

    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    meeting_url = models.URLField(max_length=500, blank=True)
    staff_note = models.TextField(_("職員メモ"), blank=True, max_length=2000)
    # Where the hold came from, for the cap on pending holds per address (madoguchi.ratelimits):
    # a keyed hash of the client's address bucket (IPv4, or IPv6 /64), never the address itself.
    # Access records (R10) are where addresses live, seen by few and purged after
    # MADOGUCHI_ACCESS_LOG_DAYS; a booking is kept far longer and seen by every counsellor.
    origin = models.CharField(max_length=32, blank=True, db_index=True, editable=False)

    # Link tokens are derived from token_salt and SECRET_KEY when a mail is
    # written; only their hashes are stored (SPEC §5).
    token_salt = models.CharField(max_length=32)
    confirm_token_hash = models.CharField(max_length=64, unique=True)
    cancel_token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["start", "created_at"]
        constraints = [
            # Capacity, enforced by the database: one booking per seat of a slot.
            models.UniqueConstraint(
                fields=["office", "start", "seat"],
                condition=models.Q(status__in=SEAT_HOLDING),
                name="one_booking_per_seat",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "start", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        verbose_name = _("予約")
        verbose_name_plural = _("予約")

    def __str__(self) -> str:
        return f"{self.office.code} {self.start:%Y-%m-%d %H:%M} {self.status}"

    def status_at(self, now: datetime) -> str:
        """The status as the rules see it at `now`, whether or not the worker has run."""
        if self.status == Status.PENDING and now >= self.expires_at:
            return Status.EXPIRED
        if self.status == Status.CONFIRMED and now >= self.start + NO_SHOW_AFTER:
            return Status.NO_SHOW
        return self.status

    def display_times(self, language: str) -> dict[str, str]:
        """The slot and the confirmation deadline as people read them, in office time."""
        tz = self.office.tz
        return {
            "when": format_slot(self.start.astimezone(tz), self.end.astimezone(tz), language),
            "confirm_by": format_datetime(self.expires_at.astimezone(tz), language),
        }

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.office.tz)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.office.tz)


class Refusal(models.Model):
    """R9: a person the office no longer serves online, always decided by a member of staff."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="refusals")
    email_key = models.CharField(max_length=254, blank=True, db_index=True)
    phone_key = models.CharField(max_length=20, blank=True, db_index=True)
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    reason = models.TextField(_("理由"))
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(_("解除の理由"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("利用お断り")
        verbose_name_plural = _("利用お断り")

    def __str__(self) -> str:
        return f"{self.office.code}: {self.email_key or self.phone_key}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class EventKind(models.TextChoices):
    ATTENDED = "attended", _("相談済みにした")
    NO_SHOW = "no_show", _("無断欠席にした")
    CANCELLED_BY_PHONE = "cancelled_by_phone", _("電話でキャンセルした")
    CANCELLED_BY_OFFICE = "cancelled_by_office", _("臨時閉庁で取り消した")
    NOTE = "note", _("メモを書いた")


class BookingEvent(models.Model):
    """What staff did to a booking, and who: the history behind a refusal decision (R9)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_correction(self) -> bool:
        """An attendance mark changed from one recorded outcome to the other (R8)."""
        return self.from_status in (Status.ATTENDED, Status.NO_SHOW) and self.kind != EventKind.NOTE


class MailKind(models.TextChoices):
    CONFIRM_REQUEST = "confirm_request", _("予約確認のお願い")
    COMPLETION = "completion", _("予約完了")
    CANCELLATION = "cancellation", _("キャンセルのお知らせ")
    EXPIRY = "expiry", _("期限切れのお知らせ")
    REMINDER = "reminder", _("前日のお知らせ")
    OFFICE_CANCELLATION = "office_cancellation", _("窓口の都合による取り消し")
    # SPEC §6 "Who is known": sent to the address on file when someone books with the details
    # of a person who already holds a booking there, or who is refused there (R9).
    ALREADY_BOOKED = "already_booked", _("予約済みのお知らせ")
    NOT_AVAILABLE = "not_available", _("オンライン予約をご利用いただけないお知らせ")


# Notices that may go to one booking more than once (at most one per NOTICE_INTERVAL).
REPEATABLE_MAIL = [MailKind.ALREADY_BOOKED, MailKind.NOT_AVAILABLE]


class MailState(models.TextChoices):
    QUEUED = "queued", _("送信待ち")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("送信失敗")
    SKIPPED = "skipped", _("不要になったため送信せず")


class OutgoingMail(models.Model):
    """The outbox: written with the change that causes the mail, sent by the worker."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    state = models.CharField(max_length=10, choices=MailState.choices, default=MailState.QUEUED)
    message_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One mail of a kind per booking: a retried state change cannot mail twice.
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=~models.Q(kind__in=REPEATABLE_MAIL),
                name="one_mail_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.booking_id} ({self.state})"
