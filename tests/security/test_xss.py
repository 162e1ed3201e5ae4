"""Markup typed into the booking form stays text on every page that shows it, and no page
could run it anyway: the CSP allows no inline script (tests/security/test_headers.py)."""

from __future__ import annotations

from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import confirm_token, hold

NAME = '<script>alert("名前")</script>'
NOTE = '"><img src=x onerror=alert(1)>'


def test_markup_in_a_booking_is_shown_as_text(client, fukuoka, clock, counsellor):
    booking = hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW, name=NAME, note=NOTE)
    pages = [client.get(f"/b/confirm/{confirm_token(booking)}")]
    client.force_login(counsellor)
    pages.append(client.get("/staff/fukuoka-plaza/day/2026-12-01/"))
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "&lt;script&gt;alert(&quot;名前&quot;)&lt;/script&gt;" in html
        assert NAME not in html
        assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[1].content.decode()
