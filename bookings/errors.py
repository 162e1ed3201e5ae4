"""Domain errors: each carries the API code, the HTTP status and a message for people."""

from __future__ import annotations

from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class BookingError(Exception):
    code = "error"
    status = 400
    message: str | Promise = _("リクエストを処理できませんでした。")

    def __init__(self, message: str | Promise | None = None, fields: dict[str, list[str]] | None = None):
        if message is not None:
            self.message = message
        self.fields = fields or {}
        super().__init__(str(self.message))


class Invalid(BookingError):
    code, status = "invalid", 422
    message = _("入力内容に誤りがあります。各項目のメッセージをご確認ください。")


class NotFound(BookingError):
    code, status = "not_found", 404
    message = _("お探しのページまたは予約が見つかりませんでした。リンクやアドレスをご確認ください。")


class MethodNotAllowed(BookingError):
    code, status = "method_not_allowed", 405
    message = _("この操作はこのアドレスでは使えません。")


class TermsChanged(BookingError):
    code, status = "terms_changed", 409
    message = _("利用規約が改定されました。新しい規約をお読みのうえ、あらためて同意してください。")


class SlotFull(BookingError):
    code, status = "slot_full", 409
    message = _("申し訳ありません。この枠はたった今満席になりました。別の日時をお選びください。")


class KnownPerson(Exception):
    """SPEC §6 "Who is known": the applicant already holds an active booking at the office, or
    is refused there (R9). Never an answer of its own: it is not a BookingError, so it cannot
    reach the error envelope; bookings.services.booking_request answers it like a hold and
    mails the address on file.
    """

    def __init__(self, *, office: object, start: datetime, end: datetime, expires_at: datetime) -> None:
        self.office = office
        self.start, self.end, self.expires_at = start, end, expires_at
        super().__init__(type(self).__name__)


class LimitReached(KnownPerson):
    """One active booking per person per office (SPEC §6)."""


class Refused(KnownPerson):
    """R9: the office no longer serves this person online."""


class Expired(BookingError):
    code, status = "expired", 410
    message = _("確認の期限が過ぎたため、この予約は取り消されました。お手数ですが、もう一度ご予約ください。")


class SameDay(BookingError):
    code, status = "same_day", 409


class NotCancellable(BookingError):
    code, status = "not_cancellable", 409
    message = _("この予約はキャンセルできません。")


class ServerError(BookingError):
    code, status = "server_error", 500
    message = _("申し訳ありません。サーバーで問題が起きました。時間をおいて、もう一度お試しください。")


class TooLarge(BookingError):
    code, status = "too_large", 413
    message = _("送信された内容が大きすぎます。")


class RateLimited(BookingError):
    code, status = "rate_limited", 429
    message = _("短時間に多くのお申し込みがありました。しばらく時間をおいてから、もう一度お試しください。")

    def __init__(self, message: str | Promise | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, for the Retry-After header (SPEC §6)
