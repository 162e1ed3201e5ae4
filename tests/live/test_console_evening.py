"""A counsellor's evening in a real browser (SPEC §7, §9, R7, R8): log in, mark who came and
who did not, take a cancellation by phone; the person gets the notice by real SMTP.

The server is a real `manage.py serve` (gunicorn and the huey worker) whose mail goes to an
aiosmtpd capture. Bookings are made beforehand with the real services and an explicit `now`
in the past, in a process of their own with the server's environment.

Clock: staff can mark a no-show only once the slot has started, and a confirmed booking is a
no-show by itself 10 minutes after its start (R8). So the office's timetable is written for the
run: a slot S0 that started within the last minute (Asia/Tokyo), its neighbours, and the same
times tomorrow, every day of the week; the test then needs about a minute of it, whatever the
time of day. Closed days (R3) would have no slot: the setup process alone sees none, so that
the bookings exist on such a day too (as they would had staff entered the closure after them).

Set MADOGUCHI_REQUIRE_BROWSER=1 to make a missing chromium a failure instead of a skip.
Screenshots go to the test's tmp dir (shots/) and the day views also to /tmp/console-shots/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from tests.browser_fixtures import require_browser
from tests.live.mailflow import isolated_redis
from tests.live.smtp import MailSink, Received
from tests.live_server import ROOT, LiveServer, make_live_server

pytestmark = [pytest.mark.live, pytest.mark.browser]

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
JST = ZoneInfo("Asia/Tokyo")
SHARED_SHOTS = Path("/tmp/console-shots")

OFFICE = "evening-desk"
OFFICE_NAME = "ハローワーク夜間テスト窓口"
OFFICE_PHONE = "092-333-4444"
USERNAME = "counsellor-evening"
PASSWORD = "yuugata-soudan-2026"
MAIL_DEADLINE = 10.0  # how long to wait for a mail at all
MAIL_LATENCY = 5.0  # SPEC §6: mail leaves under 5 s after the change when SMTP answers

PEOPLE: dict[str, dict[str, Any]] = {
    "A": {"name": "青木 一郎", "email": "aoki.evening@example.jp", "phone": "090-1111-0001"},
    "B": {
        "name": "坂本 花子",
        "email": "sakamoto.evening@example.jp",
        "phone": "080-2222-0002",
        "jobseeker_number": "40010-12345678",
        "note": "事務職への転職について相談したいです。",
        "support": "on",
    },
    "C": {"name": "千葉 健太", "email": "chiba.evening@example.jp", "phone": "070-3333-0003"},
}

OFFICE_TOML = """\
[[office]]
code = "{code}"
name = "{name}"
phone = "{phone}"
timezone = "Asia/Tokyo"
capacity = 3
horizon_days = 7
meeting_url = "https://meet.example.org/room/{{room}}"

[[office.slots]]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
times = {times}
minutes = 30
"""

# Run inside the server's environment: hold and confirm with the real services, `now` in the past.
SETUP = """\
import json
from datetime import datetime, timedelta
from unittest import mock

import offices.schedule
import offices.services
from bookings.forms import BookingForm
from bookings.services import booking_confirm, booking_hold
from bookings.tokens import CONFIRM, make_token
from offices.models import Office

plan = json.loads({plan!r})
office = Office.objects.get(code=plan["office"])
made = {{}}
# Only this process ignores closed days (R3): see the test's docstring.
with (
    mock.patch.object(offices.services, "national_holidays", lambda first, last: frozenset()),
    mock.patch.object(offices.schedule, "is_year_end_closure", lambda day: False),
):
    for key, person in plan["people"].items():
        start = datetime.fromisoformat(person.pop("start"))
        now = datetime.fromisoformat(plan["now"])
        form = BookingForm(data={{**person, "agree_terms": "on"}})
        assert form.is_valid(), form.errors
        booking = booking_hold(office=office, start=start, applicant=form.applicant(), language="ja", now=now)
        booking_confirm(token=make_token(salt=booking.token_salt, purpose=CONFIRM), now=now)
        made[key] = str(booking.pk)
print("RESULT " + json.dumps(made))
"""

STATE = """\
import json
from bookings.models import Booking, OutgoingMail

ids = json.loads({ids!r})
state = {{}}
for key, pk in ids.items():
    b = Booking.objects.get(pk=pk)
    mails = OutgoingMail.objects.filter(booking=b).order_by("id").values_list("kind", "state")
    state[key] = {{
        "status": b.status,
        "cancelled_by": b.cancelled_by,
        "attended_at": b.attended_at is not None,
        "no_show_at": b.no_show_at is not None,
        "cancelled_at": b.cancelled_at is not None,
        "mails": [list(m) for m in mails],
    }}
print("RESULT " + json.dumps(state))
"""


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _result(output: str) -> Any:
    (line,) = [line for line in output.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


def _shell(server: LiveServer, code: str) -> Any:
    return _result(server.manage("shell", "-c", code).stdout)


@pytest.fixture
def s0() -> datetime:
    """The slot that started last: this very minute, Japan time."""
    return datetime.now(JST).replace(second=0, microsecond=0)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        sink.start()
        yield sink


@pytest.fixture
def server(tmp_path: Path, sink: MailSink, s0: datetime) -> Iterator[LiveServer]:
    require_browser()
    times = sorted({_hhmm(s0 + timedelta(minutes=m)) for m in (-30, 0, 30)})
    toml = tmp_path / "evening-desk.toml"
    toml.write_text(
        OFFICE_TOML.format(code=OFFICE, name=OFFICE_NAME, phone=OFFICE_PHONE, times=json.dumps(times)),
        encoding="utf-8",
    )
    with isolated_redis() as redis_env:
        live = make_live_server(tmp_path, offices_toml=toml, extra_env={**sink.env, **redis_env})
        try:
            # LiveServer.start leaves its handle on server.log to the garbage collector.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                live.start(worker=True)
            yield live
        finally:
            live.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _add_counsellor(server: LiveServer) -> None:
    """SPEC §9: add_staff --noinput takes the password from MADOGUCHI_STAFF_PASSWORD."""
    command = ["add_staff", USERNAME, "--office", OFFICE, "--role", "counsellor", "--noinput"]
    out = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env={**server.env, "MADOGUCHI_STAFF_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
        text=True,
    )
    assert f"created {USERNAME}: counsellor at {OFFICE}" in out.stdout


def _book(server: LiveServer, s0: datetime) -> dict[str, str]:
    """A and B in S0 (today, started), C at the same time tomorrow; all confirmed 20 minutes
    before S0."""
    starts = {"A": s0, "B": s0, "C": s0 + timedelta(days=1)}
    plan = {
        "office": OFFICE,
        "now": (s0 - timedelta(minutes=20)).isoformat(),
        "people": {key: {**person, "start": starts[key].isoformat()} for key, person in PEOPLE.items()},
    }
    made: dict[str, str] = _shell(server, SETUP.format(plan=json.dumps(plan, ensure_ascii=False)))
    assert sorted(made) == ["A", "B", "C"]
    return made


def _wait_mails(sink: MailSink, predicate: Any, count: int, what: str) -> list[Received]:
    deadline = time.monotonic() + MAIL_DEADLINE
    while True:
        found = sink.matching(predicate)
        if len(found) >= count:
            return found
        if time.monotonic() >= deadline:
            seen = [(m.rcpt_tos, m.subject) for m in sink.messages]
            raise AssertionError(f"{what}: {len(found)} of {count} within {MAIL_DEADLINE}s; received {seen}")
        time.sleep(0.05)


def _shot(page, folder: Path, name: str, *, share: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A full-page screenshot in the test's folder; the day views also in /tmp/console-shots/."""
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    if share:
        SHARED_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHARED_SHOTS / path.name)


def test_a_counsellor_marks_the_evening_and_cancels_by_phone(
    browser: Any, server: LiveServer, sink: MailSink, s0: datetime, shots: Path
) -> None:
    from playwright.sync_api import expect

    _add_counsellor(server)
    ids = _book(server, s0)
    today, tomorrow = s0.date(), s0.date() + timedelta(days=1)

    # Setup mails: a completion for each person (R6). The confirmation requests are usually
    # skipped by the worker (the hold was confirmed before it got to them): ignored either way.
    completions = _wait_mails(sink, lambda m: "【予約完了】" in m.subject, 3, "completion mails")
    assert sorted(m.rcpt_tos for m in completions) == sorted((p["email"],) for p in PEOPLE.values())
    before = len(sink.messages)

    console_errors: list[str] = []
    hosts: set[str] = set()
    day_url = f"{server.url}/staff/{OFFICE}/day/{{}}/"
    context = browser.new_context(viewport=TABLET, locale="ja-JP")
    try:
        context.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url))
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))

        # /staff/ sends an anonymous visitor to the login page (SPEC §9).
        page.goto(server.url + "/staff/")
        assert urlparse(page.url).path == "/staff/login/", page.url
        expect(page.get_by_role("heading", level=1)).to_have_text("職員ログイン")
        _shot(page, shots, "01-login")
        page.locator("#id_username").fill(USERNAME)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()

        # A counsellor of one office lands on today's day view, with no second factor.
        expect(page.get_by_role("heading", level=1)).to_contain_text("今日")
        landed = urlparse(page.url).path
        assert landed in (
            f"/staff/{OFFICE}/day/{today.isoformat()}/",
            f"/staff/{OFFICE}/day/{tomorrow.isoformat()}/",  # midnight passed since the setup
        ), landed
        if landed != f"/staff/{OFFICE}/day/{today.isoformat()}/":
            page.goto(day_url.format(today.isoformat()))
        card_a = page.locator(f"article#b-{ids['A']}")
        card_b = page.locator(f"article#b-{ids['B']}")
        expect(card_a.locator("h3")).to_have_text(PEOPLE["A"]["name"])
        expect(card_b.locator("h3")).to_have_text(PEOPLE["B"]["name"])
        expect(card_a.locator(".status")).to_have_text("確定")
        expect(card_b.locator(".status")).to_have_text("確定")
        expect(page.locator(f"article#b-{ids['C']}")).to_have_count(0)
        _shot(page, shots, "02-today-before-marking", share=True)

        # R8: A joined, B did not.
        card_a.get_by_role("button", name="相談済み", exact=True).click()
        expect(page.locator(".flash")).to_contain_text(
            f"{PEOPLE['A']['name']} さんを「相談済み」にしました。"
        )
        expect(card_a.locator(".status")).to_have_text("相談済み")
        expect(card_a).to_have_class("booking-card status-attended")
        expect(card_a.get_by_role("button", name="無断欠席に訂正")).to_be_visible()

        card_b.get_by_role("button", name="無断欠席", exact=True).click()
        expect(page.locator(".flash")).to_contain_text(
            f"{PEOPLE['B']['name']} さんを「無断欠席」にしました。"
        )
        expect(card_b.locator(".status")).to_have_text("無断欠席")
        expect(card_b).to_have_class("booking-card status-no_show")
        expect(card_b.get_by_role("button", name="相談済みに訂正")).to_be_visible()
        expect(card_a.locator(".status")).to_have_text("相談済み")  # A untouched by B's mark
        _shot(page, shots, "03-today-after-marking-1024x768", share=True)

        # The same day view on a phone.
        page.set_viewport_size(PHONE)
        page.goto(day_url.format(today.isoformat()))
        expect(card_b.locator(".status")).to_have_text("無断欠席")
        _shot(page, shots, "04-today-after-marking-390x844", share=True)
        phone_overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.set_viewport_size(TABLET)
        page.goto(day_url.format(today.isoformat()))

        # Tomorrow: C phones to cancel (R7: by phone, before the start).
        page.get_by_role("link", name="次の日 →").click()
        assert urlparse(page.url).path == f"/staff/{OFFICE}/day/{tomorrow.isoformat()}/", page.url
        card_c = page.locator(f"article#b-{ids['C']}")
        expect(card_c.locator(".status")).to_have_text("確定")
        cancel = card_c.get_by_role("button", name=f"{PEOPLE['C']['name']} さんの予約をキャンセルする")
        expect(cancel).to_be_hidden()
        card_c.locator("details.confirm-cancel > summary", has_text="電話でキャンセル").click()
        expect(cancel).to_be_visible()
        _shot(page, shots, "05-tomorrow-cancel-opened", share=True)
        pressed_at = time.monotonic()
        cancel.click()
        expect(page.locator(".flash")).to_contain_text("電話によるキャンセルとして取り消しました")
        expect(card_c.locator(".status")).to_have_text("キャンセル")
        expect(card_c).to_have_class("booking-card status-cancelled")
        expect(card_c.locator(".facts")).to_contain_text("職員（本人からの電話）")
        expect(card_c.locator("details.confirm-cancel")).to_have_count(0)
        _shot(page, shots, "06-tomorrow-after-phone-cancel", share=True)
    finally:
        context.close()

    # The cancellation notice reaches C by real SMTP within seconds (R7, SPEC §6).
    c_email = PEOPLE["C"]["email"]
    (notice,) = _wait_mails(
        sink,
        lambda m: m.rcpt_tos == (c_email,) and "【キャンセル】" in m.subject,
        1,
        "cancellation mail to C",
    )
    latency = notice.arrived - pressed_at
    print(f"cancellation mail {latency:.2f}s after the click: {notice.subject}")
    assert latency < MAIL_LATENCY, f"the cancellation mail took {latency:.2f}s"
    assert OFFICE_NAME in notice.subject

    # The database agrees, and its outbox holds exactly one cancellation for C, recorded as sent
    # (the worker records that just after the SMTP server has taken the mail).
    deadline = time.monotonic() + MAIL_DEADLINE
    while True:
        state = _shell(server, STATE.format(ids=json.dumps(ids)))
        if ["cancellation", "sent"] in state["C"]["mails"] or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    assert state["A"]["status"] == "attended" and state["A"]["attended_at"], state["A"]
    assert state["B"]["status"] == "no_show" and state["B"]["no_show_at"], state["B"]
    assert state["C"]["status"] == "cancelled" and state["C"]["cancelled_at"], state["C"]
    assert state["C"]["cancelled_by"] == "phone", state["C"]
    assert state["A"]["cancelled_by"] == state["B"]["cancelled_by"] == "", state
    assert [kind for kind, _ in state["C"]["mails"]].count("cancellation") == 1, state["C"]
    assert ["cancellation", "sent"] in state["C"]["mails"], state["C"]
    for key in ("A", "B"):
        assert "cancellation" not in [kind for kind, _ in state[key]["mails"]], state[key]

    # Exactly one cancellation mail to C, and no cancellation to anybody else, through SMTP.
    after = sink.messages[before:]
    cancellations = [m for m in after if "【キャンセル】" in m.subject]
    assert [m.rcpt_tos for m in cancellations] == [(c_email,)], [(m.rcpt_tos, m.subject) for m in after]

    assert console_errors == []
    assert hosts == {"127.0.0.1"}
    assert phone_overflow <= 0, f"the day view scrolls sideways by {phone_overflow}px at 390 px"
