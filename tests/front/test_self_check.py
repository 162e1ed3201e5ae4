"""R14: the camera and microphone self-check at /check/, and the links that lead to it.

What the page does in a browser is in tests/browser/test_self_check_browser.py; here the
page as served: its texts in both languages, its script as a static file, and the links
from the office page, the completion page and the completion mail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.templatetags.static import static

from bookings.emails import render_mail
from bookings.models import MailKind, OutgoingMail
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold, page
from tests.front.test_page_hygiene import audit

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "front" / "static" / "front" / "check.js"
BASE = "https://madoguchi.example.jp"
JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
URL = re.compile(r"https?://[^\s\"'<>]+")

# Every state check.js can show; each is a prepared, hidden element of the template.
STATES = [
    "asking",
    "running",
    "quiet",
    "stopped",
    "denied",
    "no-camera",
    "no-microphone",
    "no-device",
    "busy",
    "ended",
    "insecure",
    "unsupported",
    "failed",
]


def check_page(client, language: str = "ja") -> str:
    response = client.get("/check/", headers={"accept-language": language})
    assert response.status_code == 200
    return page(response)


def without_japanese_islands(html: str) -> str:
    """The page minus elements marked lang="ja" (the language switch names 日本語 in Japanese)."""
    return re.sub(r'<(\w+)[^>]*\blang="ja"[^>]*>.*?</\1>', "", html, flags=re.S)


def test_it_shows_the_self_check_in_japanese_by_default(client):
    html = check_page(client)
    assert '<html lang="ja">' in html
    assert "<h1>カメラとマイクの確認</h1>" in html
    assert ">カメラとマイクを確認する</button>" in html
    assert ">停止する</button>" in html
    assert re.search(r"<video [^>]*id=\"check-video\"", html)
    assert re.search(r"<meter [^>]*id=\"check-level\"", html)
    assert '<label for="check-level">マイクの音量</label>' in html


def test_it_says_that_nothing_is_recorded_or_sent(client):
    html = check_page(client)
    assert "このページは映像も音声も記録せず、どこにも送信しません。" in html
    # Near the top, before the buttons, where a wary reader looks first.
    assert html.index("記録せず") < html.index('id="check-start"')


def test_it_shows_the_self_check_in_english(client):
    html = check_page(client, "en")
    assert '<html lang="en">' in html
    assert "<h1>Camera and microphone check</h1>" in html
    assert "This page records neither picture nor sound, and sends nothing anywhere." in html
    assert ">Check camera and microphone</button>" in html
    assert ">Stop</button>" in html
    leftover = JAPANESE.findall(without_japanese_islands(html))
    assert leftover == [], "Japanese left on the English page"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_it_prepares_every_message_the_script_shows(client, language):
    html = check_page(client, language)
    script = SCRIPT.read_text(encoding="utf-8")
    for state in STATES:
        element = re.search(rf'<p id="check-{state}"[^>]*>(.*?)</p>', html, flags=re.S)
        assert element, f"no prepared message for {state}"
        assert " hidden" in element.group(0).split(">", 1)[0], f"{state} is shown before the script runs"
        assert element.group(1).strip(), f"the {state} message is empty"
        assert f'"{state}"' in script, f"check.js never shows {state}"
    # The messages sit in a live region, so a screen reader hears them when they appear.
    assert '<div class="check-status" role="status">' in html


def test_it_explains_what_to_check_without_javascript(client):
    html = check_page(client)
    # The interactive part waits for the script; the rest reads without it.
    assert re.search(r'<section class="selfcheck" id="self-check"[^>]*\shidden>', html)
    assert "<noscript>" in html and "JavaScript" in html
    visible = re.sub(r'<section class="selfcheck".*?</section>', "", html, flags=re.S)
    for needed in (
        "確認すること",
        "カメラがカバーやシールでふさがれていないこと。",
        'id="help-denied"',
        'id="help-missing"',
        'id="help-https"',
        "https://",
    ):
        assert needed in visible, needed


def test_its_script_is_a_static_file_under_the_strict_policy(client):
    response = client.get("/check/")
    html = page(response)
    result = audit(html)
    assert result.problems == []
    assert result.h1 == 1
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts == [f'<script src="{static("front/check.js")}" defer>'], scripts
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_its_script_records_nothing_and_asks_for_nothing():
    """check.js has no way to send or keep anything: no recorder, no request of any kind."""
    script = SCRIPT.read_text(encoding="utf-8")
    assert "getUserMedia" in script  # the file read is the real one
    for forbidden in (
        "MediaRecorder",
        "fetch(",
        "XMLHttpRequest",
        "sendBeacon",
        "WebSocket",
        "EventSource",
        "RTCPeerConnection",
        "import(",
        "localStorage",
        "indexedDB",
        "innerHTML",
        "http",
    ):
        assert forbidden not in script, forbidden


def test_the_office_page_links_to_the_self_check(client, fukuoka, clock):
    html = page(client.get("/o/fukuoka-plaza/"))
    assert 'href="/check/"' in html


def test_the_completion_page_links_to_the_self_check(client, fukuoka, clock):
    booking = hold(fukuoka, jst(2026, 12, 3, 17, 15), now=NOW)
    link = f"/b/confirm/{confirm_token(booking)}"
    pending = page(client.get(link))
    assert ">予約を確定する</button>" in pending
    assert 'href="/check/"' not in pending  # not yet: first the button
    done = client.post(link)
    assert done.status_code == 200
    assert 'href="/check/"' in page(done)
    # Opened again later, the confirmed booking still points there.
    assert 'href="/check/"' in page(client.get(link))


def test_the_completion_mail_links_to_the_self_check(fukuoka, settings):
    settings.MADOGUCHI_BASE_URL = BASE
    booking = confirmed(fukuoka, jst(2026, 12, 3, 17, 15), now=NOW)
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=MailKind.COMPLETION))
    [(html, _)] = message.alternatives
    cancel = f"{BASE}/b/cancel/{cancel_token(booking)}"
    for part in (message.body, html):
        found = set(URL.findall(part))
        assert f"{BASE}/check/" in found
        # SPEC §5 still holds: one distinct cancel link, and the meeting link.
        assert [link for link in found if "/b/" in link] == [cancel]
        assert booking.meeting_url in found
