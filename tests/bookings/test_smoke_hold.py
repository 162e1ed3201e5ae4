from bookings.forms import BookingForm
from bookings.models import MailKind, Status
from bookings.services import booking_hold
from tests.conftest import jst


def test_it_holds_a_seat_and_queues_the_confirmation_request(fukuoka):
    form = BookingForm(
        data={"name": "山田 太郎", "email": "Taro@Example.jp", "phone": "090-1234-5678", "agree_terms": "on"}
    )
    assert form.is_valid(), form.errors
    now = jst(2026, 12, 1, 10, 0)
    booking = booking_hold(
        office=fukuoka, start=jst(2026, 12, 1, 17, 15), applicant=form.applicant(), language="ja", now=now
    )
    assert booking.status == Status.PENDING
    assert booking.email_key == "taro@example.jp"
    assert booking.phone_key == "+819012345678"
    assert [m.kind for m in booking.mails.all()] == [MailKind.CONFIRM_REQUEST]
