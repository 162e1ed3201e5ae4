"""R14: the self-check page in Debian's chromium with its fake camera and microphone.

The shared `browser` fixture launches chromium with --use-fake-device-for-media-stream (a
moving test picture and a beeping tone) and --use-fake-ui-for-media-stream (the permission
prompt answers "allow"). The page must show the picture, move the level, and make no request
but its own page and static files: no recorder, no upload, no peer connection.

A phone-size screenshot of the running check is kept in test-output/screenshots/.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.axe import axe_context, axe_violations, describe
from tests.browser_fixtures import require_browser
from tests.conftest import DEMO
from tests.live_server import ROOT, LiveServer, make_live_server

pytestmark = [pytest.mark.live, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SHOTS = ROOT / "test-output" / "screenshots"
START = "カメラとマイクを確認する"
STOP = "停止する"

# Before any script of the page: count what could record or send media without an HTTP
# request, which the request log would not show.
SPIES = """
window.__selfCheckSpies = {recorders: 0, peers: 0, sockets: 0};
for (const [name, key] of [["MediaRecorder", "recorders"], ["RTCPeerConnection", "peers"],
                           ["webkitRTCPeerConnection", "peers"], ["WebSocket", "sockets"]]) {
  const Original = window[name];
  if (typeof Original !== "function") continue;
  window[name] = new Proxy(Original, {
    construct(target, args) { window.__selfCheckSpies[key] += 1; return Reflect.construct(target, args); },
  });
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_browser()
    live = make_live_server(tmp_path_factory.mktemp("self-check"), offices_toml=DEMO)
    try:
        # LiveServer.start leaves its handle on server.log to the garbage collector.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            live.start(worker=False)
        yield live
    finally:
        live.close()


def _own_file(url: str, server: LiveServer) -> bool:
    """The page itself or one of the site's own static files."""
    parsed = urlparse(url)
    if f"{parsed.scheme}://{parsed.netloc}" != server.url:
        return False
    return parsed.path == "/check/" or parsed.path.startswith("/static/")


def _levels(page: Any, *, samples: int = 20, every_ms: int = 100) -> list[float]:
    levels = []
    for _ in range(samples):
        levels.append(page.evaluate("document.getElementById('check-level').value"))
        page.wait_for_timeout(every_ms)
    return levels


def test_it_shows_the_camera_and_a_moving_level_and_sends_nothing(browser, server):
    from playwright.sync_api import expect

    requests: list[tuple[str, str]] = []
    sockets: list[str] = []
    problems: list[str] = []
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, is_mobile=True)
    try:
        context.add_init_script(SPIES)
        context.on("request", lambda request: requests.append((request.method, request.url)))
        page = context.new_page()
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))  # CSP refusals land here
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        response = page.goto(server.url + "/check/")
        assert response is not None and response.status == 200
        # The site allows the camera and microphone to this page (Permissions-Policy), and only
        # to this origin; the page must work under that header.
        policy = {
            d.split("=", 1)[0].strip(): d.split("=", 1)[1].strip()
            for d in response.headers["permissions-policy"].split(",")
        }
        assert policy["camera"] == "(self)" and policy["microphone"] == "(self)", policy

        expect(page.get_by_role("heading", level=1)).to_have_text("カメラとマイクの確認")
        start = page.get_by_role("button", name=START)
        stop = page.get_by_role("button", name=STOP)
        expect(start).to_be_visible()  # the script ran under the CSP and revealed the check
        expect(stop).to_be_disabled()
        assert page.evaluate("document.getElementById('check-level').value") == 0
        loaded = len(requests)

        start.click()
        page.wait_for_function(
            """() => {
                const v = document.getElementById('check-video');
                return v.videoWidth > 0 && v.readyState >= 2 && !v.paused && !v.ended;
            }""",
            timeout=15_000,
        )
        expect(page.locator("#check-running")).to_be_visible()
        expect(stop).to_be_focused()  # the keyboard user lands on the one thing to do next
        first_time = page.evaluate("document.getElementById('check-video').currentTime")
        levels = _levels(page)  # about two seconds
        later_time = page.evaluate("document.getElementById('check-video').currentTime")
        assert later_time > first_time, "the camera picture does not move"
        moving = {round(level) for level in levels if level > 0}
        assert len(moving) >= 2, f"the microphone level does not move: {levels}"

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "self-check-running-390x844.png")
        page.screenshot(path=SHOTS / "self-check-running-390x844-full.png", full_page=True)
        during = requests[loaded:]

        stop.click()
        expect(page.locator("#check-stopped")).to_be_visible()
        expect(start).to_be_enabled()
        expect(start).to_be_focused()
        assert page.evaluate("document.getElementById('check-video').srcObject") is None
        assert page.evaluate("document.getElementById('check-level').value") == 0
        spies = page.evaluate("window.__selfCheckSpies")
    finally:
        context.close()

    # Chromium may fetch the favicon late; a static file of the site's own is all it may be.
    sent = [(method, url) for method, url in during if not urlparse(url).path.startswith("/static/")]
    assert sent == [], f"requests while the check ran: {sent}"
    strangers = [(method, url) for method, url in requests if method != "GET" or not _own_file(url, server)]
    assert strangers == [], f"requests beyond the page and its static files: {strangers}"
    assert any("/check" in urlparse(url).path and url.endswith(".js") for _, url in requests)
    assert sockets == []
    assert spies == {"recorders": 0, "peers": 0, "sockets": 0}
    assert problems == []


def test_it_explains_a_refusal(browser, server):
    """Camera and microphone withheld from the page: the check says so and points to the help."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    try:
        page = context.new_page()

        def withheld(route: Any) -> None:
            # The same page, with a policy that gives the camera and microphone to nobody:
            # getUserMedia then refuses exactly as after the person pressed "Block".
            response = route.fetch()
            headers = {**response.headers, "permissions-policy": "camera=(), microphone=()"}
            route.fulfill(response=response, headers=headers)

        context.route(server.url + "/check/", withheld)
        page.goto(server.url + "/check/")
        page.get_by_role("button", name=START).click()
        denied = page.locator("#check-denied")
        expect(denied).to_be_visible()
        expect(page.locator("#check-running")).to_be_hidden()
        expect(page.get_by_role("button", name=START)).to_be_enabled()
        denied.get_by_role("link").click()
        expect(page.locator("#help-denied")).to_be_in_viewport()
    finally:
        # A late request (the favicon) must not reach a handler of a closing context.
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def test_it_explains_a_page_not_on_https(browser, server):
    """Opened over plain http from a real host name, browsers give no camera: the page says why."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    try:
        page = context.new_page()

        def from_the_server(route: Any) -> None:
            # http://madoguchi.test is not a secure context (not https, not localhost); its
            # answers come from the live server, so the page and its script are the real ones.
            path = urlparse(route.request.url).path
            route.fulfill(response=route.fetch(url=server.url + path))

        context.route("http://madoguchi.test/**", from_the_server)
        page.goto("http://madoguchi.test/check/")
        assert page.evaluate("window.isSecureContext") is False
        insecure = page.locator("#check-insecure")
        expect(insecure).to_be_visible()
        expect(page.get_by_role("button", name=START)).to_be_disabled()
        insecure.get_by_role("link").click()
        expect(page.locator("#help-https")).to_be_in_viewport()
    finally:
        # A late request (the favicon) must not reach a handler of a closing context.
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def test_it_still_explains_what_to_check_without_javascript(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="ja-JP", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + "/check/")
        expect(page.get_by_role("button", name=START)).to_be_hidden()
        # (Playwright turns scripts off without telling the HTML parser, so chromium does not
        # render <noscript> here; tests/front/test_self_check.py checks that it is served.)
        expect(page.get_by_role("heading", name="確認すること")).to_be_visible()
        expect(page.get_by_text("このページは映像も音声も記録せず、どこにも送信しません。")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_it_meets_wcag_21_aa_before_and_while_checking(browser, server, language):
    with axe_context(browser, viewport=PHONE, locale=language) as context:
        page = context.new_page()
        page.goto(server.url + "/check/")  # the locale sets Accept-Language
        assert page.evaluate("document.documentElement.lang") == language
        idle = axe_violations(page)
        assert idle == [], describe(idle)

        page.locator("#check-start").click()
        page.wait_for_function("document.getElementById('check-video').videoWidth > 0", timeout=15_000)
        running = axe_violations(page)
        assert running == [], describe(running)

        page.locator("#check-stop").click()
        stopped = axe_violations(page)
        assert stopped == [], describe(stopped)
