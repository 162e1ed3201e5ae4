"""The buttons of the link pages work as a real browser posts them (SPEC §5).

Pages under /b/ answer with `Referrer-Policy: no-referrer`, so chromium sends their form posts
with `Origin: null`, which Django's CSRF check refuses with a 403. The token in the path is
what authorises the action, so these two views need no CSRF check; the booking form keeps it.
"""

from __future__ import annotations

from django.test import Client

from bookings.models import Status
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold, page

TUESDAY = jst(2026, 12, 1, 17, 15)
THURSDAY = jst(2026, 12, 3, 17, 15)
AS_CHROMIUM_POSTS = {"origin": "null"}


def test_it_confirms_when_the_browser_posts_with_a_null_origin(fukuoka, clock):
    browser = Client(enforce_csrf_checks=True)
    booking = hold(fukuoka, TUESDAY, now=NOW)
    url = f"/b/confirm/{confirm_token(booking)}"
    assert browser.get(url)["Referrer-Policy"] == "no-referrer"
    response = browser.post(url, headers=AS_CHROMIUM_POSTS)
    assert response.status_code == 200
    assert "予約が確定しました" in page(response)
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED


def test_it_cancels_when_the_browser_posts_with_a_null_origin(fukuoka, clock):
    browser = Client(enforce_csrf_checks=True)
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    response = browser.post(f"/b/cancel/{cancel_token(booking)}", headers=AS_CHROMIUM_POSTS)
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED


def test_the_booking_form_still_needs_its_csrf_token(fukuoka, clock):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/o/fukuoka-plaza/book/20261201T1715/", {"name": "山田 太郎"})
    assert response.status_code == 403
