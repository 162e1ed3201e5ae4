"""The confirm and cancel pages say what state the booking is in, and since when: a link
opened again never reads as if it had just acted (SPEC §5, R5, R7)."""

from __future__ import annotations

import re

from bookings.models import Booking, CancelledBy, Status
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold, page

TUESDAY = jst(2026, 12, 1, 17, 15)
THURSDAY = jst(2026, 12, 3, 17, 15)


def title_and_h1(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?) \| madoguchi</title>", html, re.S)
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert title and h1
    return title.group(1).strip(), h1.group(1).strip()


def test_it_says_a_cancellation_happened_only_once(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    url = f"/b/cancel/{cancel_token(booking)}"
    clock.move_to(jst(2026, 12, 1, 12, 30))
    html = page(client.post(url))
    assert title_and_h1(html) == ("予約をキャンセルしました", "予約をキャンセルしました")
    assert "キャンセルのお知らせをメールでお送りします。" in html

    clock.move_to(jst(2026, 12, 2, 9, 0))
    for again in (client.get(url), client.post(url)):
        html = page(again)
        assert title_and_h1(html) == ("この予約はキャンセルされています", "この予約はキャンセルされています")
        assert "この予約は 2026年12月1日（火）12:30 にキャンセルされました。" in html
        assert "キャンセルしました" not in html
        assert "メールでお送りします" not in html
        assert "予約をキャンセルする</button>" not in html


def test_it_shows_a_phone_cancellation_on_the_link_with_its_date(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    Booking.objects.filter(pk=booking.pk).update(
        status=Status.CANCELLED, cancelled_at=jst(2026, 12, 1, 11, 5), cancelled_by=CancelledBy.PHONE
    )
    html = page(client.get(f"/b/cancel/{cancel_token(booking)}"))
    assert title_and_h1(html)[1] == "この予約はキャンセルされています"
    assert "この予約は 2026年12月1日（火）11:05 にキャンセルされました。" in html


def test_it_writes_the_cancellation_date_in_english(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    url = f"/b/cancel/{cancel_token(booking)}"
    client.post(url)
    html = page(client.get(url, headers={"accept-language": "en"}))
    assert "Tue 1 December 2026, 10:00 JST" in html
    assert "2026年" not in html


def test_the_cancel_page_title_follows_the_state(client, fukuoka, clock):
    later = confirmed(fukuoka, THURSDAY, now=NOW)
    today = confirmed(fukuoka, TUESDAY, now=NOW, email="t@example.jp", phone="080-1111-2222")
    pending = hold(fukuoka, jst(2026, 12, 1, 18, 15), now=NOW, email="p@example.jp", phone="080-3333-4444")
    expected = {
        later: "予約をキャンセルしますか",
        today: "当日のキャンセルはお電話でお願いします",
        pending: "この予約はキャンセルできません",
    }
    for booking, heading in expected.items():
        assert title_and_h1(page(client.get(f"/b/cancel/{cancel_token(booking)}"))) == (heading, heading)


def test_the_confirm_page_title_follows_the_state(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    url = f"/b/confirm/{confirm_token(booking)}"
    assert title_and_h1(page(client.get(url))) == ("予約の確定", "予約を確定してください")
    assert title_and_h1(page(client.post(url))) == ("予約が確定しました", "予約が確定しました")

    clock.move_to(jst(2026, 12, 1, 10, 20))
    for again in (client.get(url), client.post(url)):
        html = page(again)
        assert title_and_h1(html) == ("予約は確定しています", "予約は確定しています")
        assert "この予約は 2026年12月1日（火）10:00 に確定しました。" in html
        assert "予約完了のメールをお送りします" not in html

    client.post(f"/b/cancel/{cancel_token(booking)}")  # on the day: refused, still confirmed
    assert Booking.objects.get(pk=booking.pk).status == Status.CONFIRMED
    Booking.objects.filter(pk=booking.pk).update(
        status=Status.CANCELLED, cancelled_at=jst(2026, 12, 1, 10, 30)
    )
    html = page(client.get(url))
    assert title_and_h1(html) == ("この予約はキャンセルされています", "この予約はキャンセルされています")
    assert "2026年12月1日（火）10:30" in html


def test_the_confirm_page_title_says_when_the_hold_expired(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    clock.move_to(jst(2026, 12, 1, 11, 0))
    html = page(client.get(f"/b/confirm/{confirm_token(booking)}"))
    assert title_and_h1(html) == ("確認の期限が過ぎました", "確認の期限が過ぎました")
