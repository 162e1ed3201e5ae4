"""A job seeker books on a phone in a real browser (Debian's chromium via Playwright).

The site runs as a real server with its worker (mail leaves through the outbox)
and DEBUG on, so the confirmation mail can be read at /dev/mailbox/.

Set MADOGUCHI_REQUIRE_BROWSER=1 to make a missing chromium a failure instead of
a skip; set MADOGUCHI_SCREENSHOTS=/some/dir to keep the phone-size screenshots.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from tests.browser_fixtures import require_browser
from tests.conftest import DEMO
from tests.live_server import LiveServer, make_live_server

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
JST = ZoneInfo("Asia/Tokyo")
EMAIL = "browser-test@example.jp"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    require_browser()
    live = make_live_server(tmp_path, offices_toml=DEMO, extra_env={"DEBUG": "1"})
    try:
        # LiveServer.start leaves its handle on server.log to the garbage collector
        # (the child keeps its own descriptor): not this test's concern.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            live.start(worker=True)
        yield live
    finally:
        live.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MADOGUCHI_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _first_slot_well_ahead(hrefs: list[str]) -> str:
    """A free slot that does not start while the test runs."""
    soon = datetime.now(JST) + timedelta(minutes=15)
    for href in hrefs:
        key = href.rstrip("/").rsplit("/", 1)[-1]
        if datetime.strptime(key, "%Y%m%dT%H%M").replace(tzinfo=JST) > soon:
            return href
    raise AssertionError(f"no free slot ahead among {hrefs}")


def _small_targets(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Links styled as buttons, buttons, fields and checkbox labels under 44 px tall."""
    return page.eval_on_selector_all(
        "a.slot, .office-list a, .back a, button, input:not([type=hidden]):not([type=checkbox]),"
        " .check label, a.tel",
        """els => els.filter(e => e.offsetParent !== null)
                  .filter(e => e.getBoundingClientRect().height < 44)
                  .map(e => e.outerHTML.slice(0, 80))""",
    )


def _unexpected(message) -> bool:  # type: ignore[no-untyped-def]
    """Chromium logs the 422 of a form sent back with errors; that one is by design."""
    path = urlparse(message.location.get("url", "")).path
    return not ("status of 422" in message.text and "/book/" in path)


def _fits_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_it_books_on_a_phone_from_the_calendar_to_the_confirmed_page(browser, server, shots):
    from playwright.sync_api import expect

    console_errors: list[str] = []
    hosts: set[str] = set()
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, is_mobile=True)
    try:
        context.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url))
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and _unexpected(m) and console_errors.append(m.text))
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))

        page.goto(server.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("窓口を選んでください")
        page.screenshot(path=shots / "1-office-list.png", full_page=True)
        # Keyboard users meet the skip link first.
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("本文へ移動")
        page.get_by_role("link", name="ハローワークプラザ福岡").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("ハローワークプラザ福岡")
        expect(page.get_by_role("heading", name="ご利用の前に")).to_be_visible()
        page.screenshot(path=shots / "2-office.png", full_page=True)
        assert _fits_the_screen(page), "the office page scrolls sideways at 375 px"
        assert _small_targets(page) == []
        hrefs = page.eval_on_selector_all("a.slot.free", "els => els.map(e => e.getAttribute('href'))")
        page.locator(f'a[href="{_first_slot_well_ahead(hrefs)}"]').click()

        expect(page.get_by_role("heading", level=1)).to_have_text("予約の申し込み")
        # First try without consent and with a typo: the form explains, field by field.
        page.get_by_label("氏名").fill("山田 太郎")
        page.get_by_label("メールアドレス").fill("browser-test@example")
        # Full-width digits and hyphens, as a Japanese phone keyboard may type them.
        page.get_by_label("電話番号").fill("０９０－１２３４－５６７８")
        page.get_by_role("button", name="予約を申し込む").click()
        expect(page.get_by_role("alert")).to_contain_text("入力内容に誤りがあります")
        expect(page.locator("#id_email-error")).to_contain_text("name@example.jp")
        expect(page.locator("#id_agree_terms-error")).to_have_text("予約するには利用規約への同意が必要です。")
        expect(page.get_by_label("氏名")).to_have_value("山田 太郎")
        page.screenshot(path=shots / "3-form-errors.png", full_page=True)
        assert _fits_the_screen(page), "the booking form scrolls sideways at 375 px"
        assert _small_targets(page) == []

        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_label("利用規約に同意します").check()
        page.get_by_role("button", name="予約を申し込む").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("まだ予約は確定していません")
        expect(page.locator(".notice")).to_contain_text(EMAIL)
        page.screenshot(path=shots / "4-check-email.png", full_page=True)

        confirm_url = _confirm_link_from_the_mailbox(page, server)
        page.goto(confirm_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("予約を確定してください")
        page.get_by_role("button", name="予約を確定する").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("予約が確定しました")
        page.screenshot(path=shots / "5-confirmed.png", full_page=True)
    finally:
        context.close()
    assert console_errors == []
    assert hosts == {"127.0.0.1"}


def _confirm_link_from_the_mailbox(page, server: LiveServer) -> str:  # type: ignore[no-untyped-def]
    """The worker sends the mail within seconds (SPEC §6); read it at /dev/mailbox/."""
    deadline = time.monotonic() + 20
    while True:
        page.goto(server.url + "/dev/mailbox/")
        mail = page.locator("ul.mailbox a", has_text=EMAIL)
        if mail.count():
            break
        assert time.monotonic() < deadline, f"no mail for {EMAIL} within 20 s:\n{server.log()}"
        time.sleep(0.3)
    mail.first.click()
    links = page.eval_on_selector_all("ul.links a", "els => els.map(e => e.href)")
    confirm = [link for link in links if "/b/confirm/" in link]
    assert len(set(confirm)) == 1, links
    assert confirm[0].startswith(server.url + "/b/confirm/")
    return confirm[0]
