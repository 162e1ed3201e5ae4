"""The whole journey of a job seeker in Debian's chromium, with the mail through real SMTP.

office list → office page → a slot → the form with mistakes → fixed and sent → the confirmation
mail (aiosmtpd) → its link → confirm → completion page → completion mail → self-check page →
the mail's cancellation link → cancelled. At phone size, at desktop size, and once by keyboard
alone (Tab, Shift+Tab, Enter, Space and typing; no clicks).

Each step leaves a full-page screenshot in test-output/screenshots/journey-<variant>-NN-<step>.png
(the folder is ignored by git). The slots are taken two days ahead or later, so that the
cancellation link works (R7: on the day itself only by phone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser.site import DEMO_OFFICE, DESKTOP, JST, PHONE, Site, running_site
from tests.browser_fixtures import require_browser
from tests.live.mailflow import only_link
from tests.live.smtp import Received
from tests.live_server import ROOT

pytestmark = [pytest.mark.live, pytest.mark.browser]

SHOTS = ROOT / "test-output" / "screenshots"
OFFICE_NAME = "ハローワークプラザ福岡"
MAIL_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    with running_site(tmp_path_factory.mktemp("journey"), bookings=False) as live:
        yield live


class Journey:
    """Numbered screenshots of one variant, and a record of what went wrong in the page."""

    def __init__(self, page: Any, variant: str) -> None:
        self.page = page
        self.variant = variant
        self.step = 0
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob(f"journey-{variant}-*.png"):
            old.unlink()

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(
            path=SHOTS / f"journey-{self.variant}-{self.step:02d}-{name}.png", full_page=True
        )


def _slot_day(href: str) -> date:
    key = href.rstrip("/").rsplit("/", 1)[-1]
    return datetime.strptime(key, "%Y%m%dT%H%M").date()


def _slot_well_ahead(page: Any, taken: set[str]) -> str:
    """A free slot two days ahead or later that no other variant took."""
    first_day = datetime.now(JST).date() + timedelta(days=2)
    hrefs = page.eval_on_selector_all("a.slot.free", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        if _slot_day(href) >= first_day and href not in taken:
            taken.add(href)
            return str(href)
    raise AssertionError(f"no free slot from {first_day} on: {hrefs}")


def _mail(site: Site, email: str, subject: str) -> Received:
    return site.sink.wait_for(
        lambda m: m.rcpt_tos == (email,) and subject in m.subject,
        timeout=MAIL_TIMEOUT,
        what=f"{subject} mail to {email}",
    )


def _h1(page: Any) -> str:
    return str(page.locator("h1").inner_text()).strip()


def _focused(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement;
                 return {tag: e.tagName, id: e.id, href: e.getAttribute('href'), type: e.type || '',
                         text: (e.innerText || e.value || '').trim().slice(0, 60)}; }"""
        )
    )


def _tab_to(page: Any, wanted: Any, what: str, limit: int = 400) -> None:
    """Press Tab until the focused element is the one wanted: the keyboard user's way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted(_focused(page)):
            return
    raise AssertionError(f"Tab never reached {what}; last: {_focused(page)}")


# ------------------------------------------------------------------ pointer (phone, desktop)


def _journey_by_pointer(site: Site, page: Any, journey: Journey, email: str, taken: set[str]) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/")
    expect(page.locator("h1")).to_have_text("窓口を選んでください")
    journey.shot("office-list")
    page.get_by_role("link", name=re.compile(OFFICE_NAME)).click()

    expect(page.locator("h1")).to_have_text(OFFICE_NAME)
    journey.shot("calendar")
    slot = _slot_well_ahead(page, taken)
    page.locator(f'a[href="{slot}"]').click()

    expect(page.locator("h1")).to_have_text("予約の申し込み")
    journey.shot("form")
    page.get_by_label("氏名").fill("山田 太郎")
    page.get_by_label("メールアドレス").fill(email.replace(".jp", ""))  # no domain ending
    page.get_by_label("電話番号").fill("０９０－１２３４－５６７８")  # full-width, as a phone may type it
    page.get_by_role("button", name="予約を申し込む").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("入力内容に誤りがあります")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    expect(page.locator("#id_email-error")).to_contain_text("name@example.jp")
    expect(page.locator("#id_agree_terms-error")).to_be_visible()
    expect(page.get_by_label("氏名")).to_have_value("山田 太郎")
    journey.shot("form-errors")
    summary.get_by_role("link", name=re.compile("メールアドレス")).click()
    assert page.evaluate("document.activeElement.id") == "id_email"
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("利用規約に同意します").check()
    page.get_by_role("button", name="予約を申し込む").click()

    _after_sending(site, page, journey, email, keyboard=False)


def _after_sending(site: Site, page: Any, journey: Journey, email: str, *, keyboard: bool) -> None:
    """From the "check your email" page to the cancelled page; `keyboard` presses keys instead."""
    from playwright.sync_api import expect

    expect(page.locator("h1")).to_have_text("まだ予約は確定していません")
    expect(page.locator("main")).to_contain_text(email)
    journey.shot("check-your-email")

    confirm_mail = _mail(site, email, "【要確認】")
    confirm_link = only_link(confirm_mail, site.url, "confirm")
    page.goto(confirm_link)  # opening the link in the mail
    expect(page.locator("h1")).to_have_text("予約を確定してください")
    journey.shot("confirm")
    if keyboard:
        _tab_to(page, lambda f: f["tag"] == "BUTTON" and "予約を確定する" in f["text"], "the confirm button")
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="予約を確定する").click()

    expect(page.locator("h1")).to_have_text("予約が確定しました")
    journey.shot("completed")
    completion = _mail(site, email, "【予約完了】")
    assert OFFICE_NAME in completion.subject
    cancel_link = only_link(completion, site.url, "cancel")

    check = page.locator("a.check-link")
    expect(check).to_have_count(1)
    if keyboard:
        _tab_to(page, lambda f: f["href"] == "/check/", "the self-check link")
        page.keyboard.press("Enter")
    else:
        check.click()
    page.wait_for_url(re.compile(r"/check/$"))
    assert urlparse(page.url).path == "/check/", page.url
    expect(page.locator("h1")).to_be_visible()
    journey.shot("self-check")

    page.goto(cancel_link)  # the cancellation link in the completion mail
    expect(page.locator("h1")).to_contain_text("キャンセル")
    journey.shot("cancel")
    button = page.locator("main form button[type=submit]")
    expect(button).to_have_count(1)
    if keyboard:
        _tab_to(
            page,
            lambda f: f["tag"] == "BUTTON" and f["type"] == "submit" and "キャンセル" in f["text"],
            "cancel",
        )
        page.keyboard.press("Space")
    else:
        button.click()
    expect(page.locator("main form button[type=submit]")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("キャンセル")
    journey.shot("cancelled")
    _mail(site, email, "【キャンセル】")


@pytest.fixture(scope="module")
def taken() -> set[str]:
    return set()


@pytest.mark.parametrize(("variant", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_job_seeker_books_confirms_checks_and_cancels(
    browser: Any, site: Site, taken: set[str], variant: str, viewport: dict[str, int]
) -> None:
    phone = variant == "phone"
    context = browser.new_context(viewport=viewport, locale="ja-JP", is_mobile=phone, has_touch=phone)
    try:
        page = context.new_page()
        journey = Journey(page, variant)
        _journey_by_pointer(site, page, journey, f"journey.{variant}@example.jp", taken)
        assert journey.errors == []
        assert journey.step == 10
    finally:
        context.close()


# ------------------------------------------------------------------ keyboard alone


def test_the_same_journey_by_keyboard_alone(browser: Any, site: Site, taken: set[str]) -> None:
    from playwright.sync_api import expect

    email = "journey.keyboard@example.jp"
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    try:
        page = context.new_page()
        journey = Journey(page, "keyboard")
        # Nothing may be clicked: a click anywhere fails the test.
        page.expose_function("__clicked", lambda: journey.errors.append("a pointer click happened"))
        context.add_init_script(
            "document.addEventListener('click', e => { if (e.detail > 0) window.__clicked(); }, true)"
        )

        page.goto(site.url + "/")
        journey.shot("office-list")
        page.keyboard.press("Tab")
        assert _focused(page)["text"] == "本文へ移動"  # the skip link comes first
        _tab_to(page, lambda f: f["href"] == f"/o/{DEMO_OFFICE}/", "the office link")
        page.keyboard.press("Enter")

        expect(page.locator("h1")).to_have_text(OFFICE_NAME)
        journey.shot("calendar")
        slot = _slot_well_ahead(page, taken)
        _tab_to(page, lambda f: f["href"] == slot, f"the slot {slot}")
        page.keyboard.press("Enter")

        expect(page.locator("h1")).to_have_text("予約の申し込み")
        journey.shot("form")
        _tab_to(page, lambda f: f["id"] == "id_name", "the name field")
        page.keyboard.type("鍵盤 花子")
        page.keyboard.press("Tab")
        assert _focused(page)["id"] == "id_email"
        page.keyboard.type("journey.keyboard@@example.jp")  # a typo
        page.keyboard.press("Tab")
        assert _focused(page)["id"] == "id_phone"
        page.keyboard.type("080-2222-3333")
        _tab_to(page, lambda f: f["tag"] == "BUTTON" and "予約を申し込む" in f["text"], "the submit button")
        page.keyboard.press("Enter")

        expect(page.locator("#error-summary")).to_be_visible()
        assert _focused(page)["id"] == "error-summary"
        journey.shot("form-errors")
        page.keyboard.press("Tab")
        assert _focused(page)["href"] == "#id_email"
        page.keyboard.press("Enter")
        assert _focused(page)["id"] == "id_email"
        page.keyboard.press("Control+A")
        page.keyboard.type(email)
        _tab_to(page, lambda f: f["id"] == "id_agree_terms", "the consent checkbox")
        page.keyboard.press("Space")
        assert page.locator("#id_agree_terms").is_checked()
        _tab_to(page, lambda f: f["tag"] == "BUTTON" and "予約を申し込む" in f["text"], "the submit button")
        page.keyboard.press("Enter")

        _after_sending(site, page, journey, email, keyboard=True)
        assert journey.errors == []
        assert journey.step == 10
    finally:
        context.close()
