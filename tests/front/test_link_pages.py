"""The pages behind the links in emails: GET only shows, the button's POST acts (SPEC §5)."""

from __future__ import annotations

from bookings.models import Booking, OutgoingMail, Status
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold, page

TUESDAY = jst(2026, 12, 1, 17, 15)
THURSDAY = jst(2026, 12, 3, 17, 15)


def test_it_shows_the_booking_and_a_button_without_confirming_it(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    url = f"/b/confirm/{confirm_token(booking)}"
    html = page(client.get(url))
    assert "予約を確定してください" in html
    assert "（期限：2026年12月1日（火）11:00）" in html
    assert "2026年12月1日（火）17:15〜17:45" in html
    assert '<button type="submit" class="primary">予約を確定する</button>' in html
    booking.refresh_from_db()
    assert booking.status == Status.PENDING
    assert OutgoingMail.objects.count() == 1  # only the confirmation request


def test_it_confirms_when_the_button_is_pressed(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    url = f"/b/confirm/{confirm_token(booking)}"
    html = page(client.post(url))
    assert "予約が確定しました" in html
    assert "予約を確定する</button>" not in html
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    # Opening the link again changes nothing, and does not pretend it just happened.
    again = page(client.get(url))
    assert "<h1>予約は確定しています</h1>" in again
    assert "この予約は 2026年12月1日（火）10:00 に確定しました。" in again


def test_it_tells_the_user_when_the_confirmation_came_too_late(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    clock.move_to(jst(2026, 12, 1, 11, 0))
    html = page(client.post(f"/b/confirm/{confirm_token(booking)}"))
    assert "確認の期限が過ぎました" in html
    assert 'href="/o/fukuoka-plaza/"' in html


def test_it_does_not_know_a_made_up_link(client, fukuoka, clock):
    for url in ("/b/confirm/not-a-token", "/b/cancel/not-a-token"):
        response = client.get(url)
        assert response.status_code == 404
        assert "リンクが正しくありません" in page(response)


def test_it_asks_before_cancelling_until_the_day_before(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    url = f"/b/cancel/{cancel_token(booking)}"
    html = page(client.get(url))
    assert "予約をキャンセルしますか" in html
    assert '<button type="submit" class="danger">予約をキャンセルする</button>' in html
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED

    html = page(client.post(url))
    assert "予約をキャンセルしました" in html
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED


def test_it_sends_same_day_cancellations_to_the_phone(client, fukuoka, clock):
    booking = confirmed(fukuoka, TUESDAY, now=NOW)
    url = f"/b/cancel/{cancel_token(booking)}"
    clock.move_to(jst(2026, 12, 1, 12, 0))
    for response in (client.get(url), client.post(url)):
        html = page(response)
        # R7: on the day itself the link does not cancel; it gives the number.
        assert "当日のキャンセルはお電話でお願いします" in html
        assert '<a class="tel" href="tel:092-000-0000">092-000-0000</a>' in html
        assert "予約をキャンセルする</button>" not in html
        assert 'class="danger"' not in html
    assert Booking.objects.get().status == Status.CONFIRMED


def test_it_shows_the_cancel_page_in_english(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    html = page(client.get(f"/b/cancel/{cancel_token(booking)}", headers={"accept-language": "en"}))
    assert "Cancel this booking?" in html
    assert "Thu 3 December 2026, 17:15–17:45 JST" in html
    assert ">Cancel booking</button>" in html


def test_it_answers_a_scanners_head_request_without_acting(client, fukuoka, clock):
    # Link checkers in mail systems often send HEAD first: it is a look, like GET.
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    pending = hold(fukuoka, TUESDAY, now=NOW, email="head@example.jp", phone="090-5555-0000")
    for url in (f"/b/confirm/{confirm_token(pending)}", f"/b/cancel/{cancel_token(booking)}"):
        response = client.head(url)
        assert response.status_code == 200, url
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["Cache-Control"] == "no-store"
    pending.refresh_from_db()
    booking.refresh_from_db()
    assert (pending.status, booking.status) == (Status.PENDING, Status.CONFIRMED)
