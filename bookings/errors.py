"""Domain errors: each carries the API code, the HTTP status and a message for people."""

from __future__ import annotations

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


class LimitReached(BookingError):
    code, status = "limit_reached", 409
    message = _(
        "この窓口では、すでにご予約を承っています。その相談が終わった後、またはキャンセルした後に、あらためてご予約ください。"
    )


class Refused(BookingError):
    code, status = "refused", 403
    message = _("この窓口のオンライン予約はご利用いただけません。窓口へ直接お問い合わせください。")


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


class RateLimited(BookingError):
    code, status = "rate_limited", 429
    message = _("短時間に多くのお申し込みがありました。しばらく時間をおいてから、もう一度お試しください。")
