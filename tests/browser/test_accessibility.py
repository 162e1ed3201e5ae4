"""WCAG 2.1 AA (JIS X 8341-3:2016 AA) on every public and staff page, in Debian's chromium.

axe-core (npm, pinned) checks each page at phone size (390×844) and desktop size (1280×800);
the tests expect zero violations and print each one's id, targets and help otherwise. Beyond
axe: the error summary takes the focus after a failed submit and links to the fields, every
focusable element shows the focus ring, nothing scrolls sideways at 320 px or at 200 % zoom,
the calendar reads as months and days with real headings and its first slot is on the first
screen of a phone.

One live server for the module (tests/browser/site.py) keeps the run short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.axe import axe_context, axe_violations, describe
from tests.browser.site import (
    ADMIN,
    DEMO_OFFICE,
    DESKTOP,
    OFFICE,
    PASSWORD,
    PHONE,
    Site,
    add_staff,
    running_site,
)
from tests.browser_fixtures import require_browser
from tests.live_server import ROOT

pytestmark = [pytest.mark.live, pytest.mark.browser]

SHOTS = ROOT / "test-output" / "screenshots"
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    with running_site(tmp_path_factory.mktemp("a11y")) as live:
        yield live


class Scanner:
    """Scans the page as it is now at each size and collects what axe finds, page by page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: dict[str, str] = {}
        self.scanned: list[str] = []

    def __call__(self, name: str) -> None:
        for size, viewport in SIZES.items():
            self.page.set_viewport_size(viewport)
            violations = axe_violations(self.page)
            self.scanned.append(f"{name} @ {size}")
            if violations:
                self.found[f"{name} @ {size} ({urlparse(self.page.url).path})"] = describe(violations)

    def check(self, expected_pages: int) -> None:
        assert len(self.scanned) == 2 * expected_pages, self.scanned
        report = "\n".join(f"--- {name}\n{text}" for name, text in self.found.items())
        assert not self.found, f"axe found WCAG 2.1 AA violations on {len(self.found)} page views:\n{report}"


def _open(page: Any, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)


def _first_free_slot(page: Any, office: str) -> str:
    hrefs = page.eval_on_selector_all("a.slot.free", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs, f"no free slot at {office}"
    # Not today's: well ahead, so the booking made from it can be cancelled by link later.
    return str(hrefs[-1])


def _scan_public(site: Site, page: Any, scan: Scanner, *, english: bool) -> int:
    """Visit and scan the public pages in the context's language; the number of pages scanned."""
    url, data = site.url, site.data
    pages = 0

    def visit(name: str, path: str, status: int = 200) -> None:
        nonlocal pages
        _open(page, url + path, status)
        scan(name)
        pages += 1

    visit("office list", "/")
    visit("office page (demo)", f"/o/{DEMO_OFFICE}/")
    visit("office page (today, full slot)", f"/o/{OFFICE}/")
    slot = _first_free_slot(page, OFFICE)
    visit("booking form", slot)
    page.locator("button.primary[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 1
    scan("booking form with errors")
    pages += 1
    visit("terms", f"/o/{DEMO_OFFICE}/terms/")
    visit("full slot", f"/o/{OFFICE}/book/{data['full_slot']}/", 409)
    visit("slot gone", f"/o/{DEMO_OFFICE}/book/20200107T1715/", 404)
    visit("confirm (pending)", f"/b/confirm/{data['pending']['confirm']}")
    visit("confirm (already confirmed)", f"/b/confirm/{data['confirmed']['confirm']}")
    visit("cancel (before)", f"/b/cancel/{data['confirmed']['cancel']}")
    visit("cancel (already cancelled)", f"/b/cancel/{data['cancelled']['cancel']}")
    visit("cancel (same day)", f"/b/cancel/{data['same_day']['cancel']}")
    visit("unknown link", "/b/confirm/" + "x" * 43, 404)
    visit("404", "/no-such-page/", 404)
    visit("404 office", "/o/no-such-office/", 404)
    visit("self-check", "/check/")
    # Submitting changes state, so each language has bookings of its own to press the buttons on.
    name, email, pending, again = (
        ("Taro Yamada", "a11y.journey.en@example.jp", data["pending_en"], data["again_en"])
        if english
        else ("山田 太郎", "a11y.journey@example.jp", data["pending"], data["again"])
    )
    visit("booking form again", slot)
    page.locator("#id_name").fill(name)
    page.locator("#id_email").fill(email)
    page.locator("#id_phone").fill("090-5555-9999" if not english else "090-5555-8888")
    page.locator("#id_agree_terms").check()
    page.locator("button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/b/sent/$"))
    scan("check your email")
    pages += 1
    for name, path, heading in (
        (
            "confirmed (just now)",
            f"/b/confirm/{pending['confirm']}",
            ("Your booking is confirmed", "予約が確定しました"),
        ),
        (
            "cancelled (just now)",
            f"/b/cancel/{again['cancel']}",
            ("Your booking has been cancelled", "予約をキャンセルしました"),
        ),
    ):
        visit(f"{name}: before pressing", path)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == heading[0 if english else 1]
        scan(name)
        pages += 1
    return pages


def test_every_public_page_meets_wcag_21_aa_in_japanese(browser: Any, site: Site) -> None:
    with axe_context(browser, viewport=PHONE, locale="ja-JP") as context:
        page = context.new_page()
        scan = Scanner(page)
        pages = _scan_public(site, page, scan, english=False)
        scan.check(pages)


def test_every_public_page_meets_wcag_21_aa_in_english(browser: Any, site: Site) -> None:
    with axe_context(browser, viewport=PHONE, locale="en-GB") as context:
        page = context.new_page()
        _open(page, site.url + "/")
        assert page.evaluate("document.documentElement.lang") == "en"
        scan = Scanner(page)
        pages = _scan_public(site, page, scan, english=True)
        scan.check(pages)


def _totp(secret: str) -> str:
    import base64

    from django_otp.oath import TOTP

    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def _log_in(page: Any, url: str, username: str, password: str) -> None:
    _open(page, url + "/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_every_staff_page_meets_wcag_21_aa(browser: Any, site: Site) -> None:
    url, data = site.url, site.data
    base = f"{url}/staff/{OFFICE}"
    with axe_context(browser, viewport=PHONE, locale="ja-JP") as context:
        page = context.new_page()
        scan = Scanner(page)
        pages = 0

        def visit(name: str, path: str, status: int = 200) -> None:
            nonlocal pages
            _open(page, path, status)
            scan(name)
            pages += 1

        visit("staff login", url + "/staff/login/")
        # A wrong password: the form with its error.
        page.locator("#id_username").fill(ADMIN)
        page.locator("#id_password").fill("not-the-password")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        scan("staff login with error")
        pages += 1

        # The office administrator must set up the second factor first (SPEC §9).
        _log_in(page, url, ADMIN, PASSWORD)
        assert urlparse(page.url).path == "/staff/otp/setup/", page.url
        scan("second factor setup")
        pages += 1
        secret = page.locator("code.secret").inner_text()
        page.locator("#id_token").fill(_totp(secret))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/otp/" not in page.url, page.url

        visit("staff home", url + "/staff/")
        visit("day view (every state)", f"{base}/day/{data['day']}/")
        states = page.locator("article.booking-card .status").all_inner_texts()
        assert {"相談済み", "無断欠席", "キャンセル"} <= set(states), states
        visit("day view (today)", f"{base}/")
        visit("week view", f"{base}/week/")
        visit("search", f"{base}/search/")
        page.locator("#q").fill("試験 利用者1")
        page.locator("form.search-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("table.list tbody tr").count() >= 1
        scan("search with results")
        pages += 1
        visit("person history", f"{base}/person/{data['attended']['id']}/")
        visit("refusals", f"{base}/refusals/")
        visit("closures", f"{base}/closures/")
        visit("timetable", f"{base}/timetable/")
        visit("terms versions", f"{base}/terms/")
        visit("statistics", f"{base}/statistics/")
        visit("access records", f"{base}/records/")
        visit("audit log", f"{base}/audit/")
        # Django's admin, for configuration (SPEC §7), behind the same sign-in.
        visit("admin index", url + "/admin/")
        visit("admin offices", url + "/admin/offices/office/")
        page.locator("#result_list tbody a").first.click()
        page.wait_for_load_state()
        scan("admin office")
        pages += 1
        visit("admin terms versions", url + "/admin/offices/termsversion/")
        visit("admin new terms version", url + "/admin/offices/termsversion/add/")
        visit("password change", url + "/staff/password/")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        scan("password change with errors")
        pages += 1
        visit("another office (404)", f"{url}/staff/{DEMO_OFFICE}/", 404)
        scan.check(pages)

    # A second sign-in asks for the code of the app set up above.
    with axe_context(browser, viewport=PHONE, locale="ja-JP") as context:
        page = context.new_page()
        scan = Scanner(page)
        _log_in(page, url, ADMIN, PASSWORD)
        assert urlparse(page.url).path == "/staff/otp/verify/", page.url
        scan("second factor")
        scan.check(1)

    # Five failures lock a username (SPEC §9); the login page says so.
    with axe_context(browser, viewport=PHONE, locale="ja-JP") as context:
        page = context.new_page()
        scan = Scanner(page)
        for _ in range(5):
            _log_in(page, url, "a11y-nobody", "wrong-password")
        _log_in(page, url, "a11y-nobody", "wrong-password")
        assert "15分間" in page.locator("main").inner_text()
        scan("login locked out")
        scan.check(1)


# ---------------------------------------------------------------- beyond axe


def test_the_error_summary_takes_the_focus_and_links_to_each_field(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    try:
        page = context.new_page()
        _open(page, f"{site.url}/o/{OFFICE}/")
        page.goto(site.url + _first_free_slot(page, OFFICE))
        page.locator("#id_name").fill("山田 太郎")
        page.locator("#id_email").fill("taro@example")  # no domain ending
        page.locator("#id_phone").fill("090-5555-8888")
        page.locator("button.primary[type=submit]").click()
        page.wait_for_load_state()

        # The focus is inside the summary after the page comes back, without any script.
        assert page.evaluate("document.activeElement.closest('#error-summary') !== null")
        links = page.eval_on_selector_all(
            "#error-summary a", "els => els.map(e => [e.getAttribute('href'), e.textContent])"
        )
        assert [href for href, _ in links] == ["#id_email", "#id_agree_terms"], links
        for href, text in links:
            field = page.locator(href)
            assert field.get_attribute("aria-invalid") == "true"
            described = field.get_attribute("aria-describedby") or ""
            error_id = f"{href[1:]}-error"
            assert error_id in described.split(), (href, described)
            error = page.locator(f"#{error_id}").inner_text()
            assert text.strip() and text.strip() in error, (text, error)
        assert page.locator("#id_name").get_attribute("aria-invalid") is None

        # Enter on the first link moves the focus to its field.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_email"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "id_email"
    finally:
        context.close()


FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, html: e.outerHTML.slice(0, 90), style: s.outlineStyle,
          width: parseFloat(s.outlineWidth), color: s.outlineColor, shadow: s.boxShadow};
}"""


def _focus_rings(page: Any, limit: int = 80) -> list[dict[str, Any]]:
    """Tab through the page; the computed focus style of each element reached."""
    seen: list[dict[str, Any]] = []
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    for _ in range(limit):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        if style["tag"] == "BODY" or (seen and style["html"] == seen[0]["html"]):
            break
        seen.append(style)
    return seen


def test_every_focusable_element_shows_a_strong_focus_ring(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    try:
        page = context.new_page()
        reached: list[dict[str, Any]] = []
        _open(page, f"{site.url}/o/{DEMO_OFFICE}/")
        reached += _focus_rings(page)
        page.goto(site.url + _first_free_slot(page, DEMO_OFFICE))
        page.locator("button.primary[type=submit]").click()
        page.wait_for_load_state()
        reached += _focus_rings(page)
        _log_in(page, site.url, ADMIN, PASSWORD)  # stops at the second factor: a console page
        reached += _focus_rings(page)
        tags = {r["tag"] for r in reached}
        assert {"A", "BUTTON", "INPUT", "TEXTAREA"} <= tags, tags
        # A 3 px near-black ring with a yellow halo: ≥ 3:1 against white, grey and the blue header.
        weak = [
            r
            for r in reached
            if r["style"] != "solid"
            or r["width"] < 3
            or r["color"] != "rgb(11, 12, 12)"
            or "rgb(255, 211, 61)" not in r["shadow"]
        ]
        assert weak == [], weak
    finally:
        context.close()


@pytest.mark.parametrize(
    ("viewport", "what"),
    [({"width": 320, "height": 640}, "320 px wide"), ({"width": 640, "height": 400}, "1280 px at 200 %")],
)
def test_nothing_scrolls_sideways_when_narrow_or_zoomed(
    browser: Any, site: Site, viewport: dict[str, int], what: str
) -> None:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    try:
        page = context.new_page()
        wide: dict[str, int] = {}
        paths = [
            "/",
            f"/o/{DEMO_OFFICE}/",
            f"/o/{OFFICE}/",
            f"/o/{DEMO_OFFICE}/terms/",
            f"/b/cancel/{site.data['confirmed']['cancel']}",
            f"/b/confirm/{site.data['confirmed']['confirm']}",
        ]
        for path in paths:
            _open(page, site.url + path)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > viewport["width"]:
                wide[path] = width
        page.goto(f"{site.url}/o/{OFFICE}/")
        page.goto(site.url + _first_free_slot(page, OFFICE))
        page.locator("button.primary[type=submit]").click()
        page.wait_for_load_state()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > viewport["width"]:
            wide["booking form with errors"] = width
        assert wide == {}, f"pages wider than {what}: {wide}"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("viewport", "what"),
    [({"width": 320, "height": 640}, "320 px wide"), ({"width": 640, "height": 400}, "1280 px at 200 %")],
)
def test_no_staff_page_scrolls_sideways_when_narrow_or_zoomed(
    browser: Any, site: Site, viewport: dict[str, int], what: str
) -> None:
    # A counsellor (no second factor asked) on the pages of a working day. Wide tables may
    # scroll inside their own box (WCAG's exception for data tables), the page itself may not.
    username = f"a11y-narrow-{viewport['width']}"
    add_staff(site.server, username, "counsellor")
    base = f"{site.url}/staff/{OFFICE}"
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    try:
        page = context.new_page()
        _log_in(page, site.url, username, PASSWORD)
        assert urlparse(page.url).path.startswith("/staff/"), page.url
        wide: dict[str, int] = {}
        for path in (
            f"{base}/day/{site.data['day']}/",
            f"{base}/week/",
            f"{base}/search/",
            f"{base}/person/{site.data['attended']['id']}/",
            f"{base}/refusals/",
            f"{base}/statistics/",
        ):
            _open(page, path)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > viewport["width"]:
                wide[urlparse(path).path] = width
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SHOTS / f"too-wide-{viewport['width']}-{len(wide)}.png", full_page=True)
        assert wide == {}, f"staff pages wider than {what}: {wide}"
    finally:
        context.close()


def test_the_calendar_reads_as_months_and_days_and_starts_on_the_first_screen(
    browser: Any, site: Site
) -> None:
    context = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        _open(page, f"{site.url}/o/{DEMO_OFFICE}/")
        outline = page.eval_on_selector_all(
            "main h1, main h2, main h3", "els => els.map(e => [e.tagName, e.textContent.trim()])"
        )
        levels = [tag for tag, _ in outline]
        months = [text for tag, text in outline if tag == "H2" and re.fullmatch(r"\d{4}年\d{1,2}月", text)]
        assert len(months) >= 2, outline  # 60 days ahead span at least two months
        # Each day heading sits under its month, and each day lists its slots as links or text.
        first_month = levels.index("H2", levels.index("H2") + 1)
        assert levels[first_month + 1] == "H3", outline
        for day in page.locator("li.day").all()[:5]:
            assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日（.）", day.locator("h3 .vh").inner_text())
            assert day.locator("ul.slots > li").count() >= 1
        # The rules come after the slots; the first slot is on the first screen of a phone.
        first_slot = page.locator("a.slot.free").first.bounding_box()
        rules = page.locator("#rules-h").bounding_box()
        assert first_slot is not None and rules is not None
        assert first_slot["y"] + first_slot["height"] <= PHONE["height"], first_slot
        assert rules["y"] > first_slot["y"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "a11y-calendar-390x844.png", full_page=True)
        # Compact: a row per day, not a card of 180 px; two months in about two screens.
        days = page.eval_on_selector_all("li.day", "els => els.map(e => e.getBoundingClientRect().height)")
        assert sum(days) / len(days) <= 90, days
        assert rules["y"] - page.locator("#cal-h").bounding_box()["y"] < 2200
        # Full and free slots differ in words, not only in colour.
        assert page.locator("a.slot.free em").first.inner_text().startswith("予約する")

        # Today is marked in words at the office with a slot every hour.
        _open(page, f"{site.url}/o/{OFFICE}/")
        today = page.locator("li.day.today")
        if today.count():  # after 23:00 today has no slot left
            assert today.locator(".today-mark").inner_text() == "今日"
        assert page.locator("li.day.today").count() <= 1
        full = page.locator("span.slot.full")
        assert full.count() >= 1
        assert "満席" in full.first.inner_text()
    finally:
        context.close()


def test_the_scan_can_fail(browser: Any, site: Site) -> None:
    """The same scan on a page with a planted fault finds it: the zero above means something."""
    with axe_context(browser, viewport=PHONE, locale="ja-JP") as context:
        page = context.new_page()
        _open(page, f"{site.url}/o/{DEMO_OFFICE}/")
        page.evaluate(
            """() => {
              const img = document.createElement('img');
              img.src = '/static/front/favicon.svg';
              document.querySelector('main').append(img);
              document.querySelector('a.slot.free').textContent = '';
            }"""
        )
        found = {v["id"] for v in axe_violations(page)}
        assert {"image-alt", "link-name"} <= found, found
