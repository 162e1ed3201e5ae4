"""One live madoguchi for the browser tests of a module: demo office, a test office, staff, bookings.

The server is a real `manage.py serve` with its worker, DEBUG off (the site's own error pages),
mail going by SMTP to an aiosmtpd capture. Before it starts, a process with the server's
environment makes bookings in every state with the real services and an explicit `now`:

- yesterday at the test office (`a11y-desk`): attended, no-show, expired, cancelled by link and
  by phone, for the day view;
- ahead: a pending hold, a confirmed booking, a cancelled one, a full slot, and one on the day
  itself, for the confirm and cancel pages.

The test office has a slot every hour of every day, so all of this works at any time of day.
Closed days (R3) would have no slot: only the setup process ignores them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import DEMO
from tests.live.mailflow import isolated_redis
from tests.live.smtp import MailSink
from tests.live_server import ROOT, LiveServer, make_live_server

JST = ZoneInfo("Asia/Tokyo")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
DEMO_OFFICE = "fukuoka-plaza"
OFFICE = "a11y-desk"
ADMIN = "a11y-admin"
PASSWORD = "madoguchi-a11y-2026"

OFFICE_TOML = """\
[[office]]
code = "{code}"
name = "ハローワークアクセシビリティ確認窓口"
name_en = "Hello Work Accessibility Desk"
phone = "092-555-0100"
timezone = "Asia/Tokyo"
capacity = 2
horizon_days = 7
meeting_url = "https://meet.example.org/room/{{room}}"

[[office.slots]]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
times = {times}
minutes = 30

[office.terms]
version = "a11y-1"
effective_date = 2024-04-01
title = "ハローワークアクセシビリティ確認窓口 利用規約（テスト用）"
file = "a11y-terms.ja.txt"
"""

SETUP = """\
import json
from datetime import datetime
from unittest import mock

import offices.schedule
import offices.services
from bookings.forms import BookingForm
from bookings import services
from bookings.tokens import CANCEL, CONFIRM, make_token
from offices.models import Office

plan = json.loads({plan!r})
office = Office.objects.get(code=plan["office"])
at = datetime.fromisoformat
out = {{}}
count = [0]


def person(**extra):
    count[0] += 1
    n = count[0]
    return {{"name": f"試験 利用者{{n}}", "email": f"a11y.person{{n}}@example.jp",
             "phone": f"090-5555-{{n:04d}}", "agree_terms": "on", **extra}}


def hold(start, now, language="ja", **extra):
    form = BookingForm(data=person(**extra))
    assert form.is_valid(), form.errors
    return services.booking_hold(office=office, start=at(start), applicant=form.applicant(),
                                 language=language, now=at(now))


def confirm(booking, now):
    return services.booking_confirm(token=make_token(salt=booking.token_salt, purpose=CONFIRM), now=at(now))


def links(booking):
    return {{"id": str(booking.pk),
             "confirm": make_token(salt=booking.token_salt, purpose=CONFIRM),
             "cancel": make_token(salt=booking.token_salt, purpose=CANCEL)}}


with (
    mock.patch.object(offices.services, "national_holidays", lambda first, last: frozenset()),
    mock.patch.object(offices.schedule, "is_year_end_closure", lambda day: False),
):
    before, day = plan["before"], plan["day"]
    attended = confirm(hold(day["09"], before, jobseeker_number="40010-12345678",
                            note="事務職への転職について相談したいです。", support="on"), before)
    services.mark_attended(booking=attended, now=at(day["09+5"]))
    no_show = confirm(hold(day["09"], before), before)
    services.mark_no_show(booking=no_show, now=at(day["09+20"]))
    hold(day["10"], before)  # never confirmed: expired
    by_link = confirm(hold(day["11"], before), before)
    services.booking_cancel(token=make_token(salt=by_link.token_salt, purpose=CANCEL), now=at(before))
    by_phone = confirm(hold(day["12"], before), before)
    services.booking_cancel_by_phone(booking=by_phone, now=at(before))
    out["day"] = plan["day_date"]
    out["attended"] = links(attended)

    now = plan["now"]
    ahead = plan["ahead"]
    # The attended person books again: their history has two bookings.
    again = confirm(hold(ahead["09"], now, email=attended.email, phone=attended.phone,
                         name=attended.name), now)
    out["again"] = links(again)
    out["pending"] = links(hold(ahead["10"], now))
    out["confirmed"] = links(confirm(hold(ahead["11"], now), now))
    # For the English pass, which presses the buttons too: a hold to confirm, a booking to cancel.
    out["pending_en"] = links(hold(ahead["11"], now, language="en"))
    out["again_en"] = links(confirm(hold(ahead["09"], now, language="en"), now))
    cancelled = confirm(hold(ahead["13"], now), now)
    services.booking_cancel(token=make_token(salt=cancelled.token_salt, purpose=CANCEL), now=at(now))
    out["cancelled"] = links(cancelled)
    for _ in range(2):
        confirm(hold(ahead["14"], now), now)
    out["full_slot"] = plan["ahead_key_14"]
    same_day = confirm(hold(plan["same_day"], plan["same_day_now"]), plan["same_day_now"])
    out["same_day"] = links(same_day)
print("RESULT " + json.dumps(out))
"""


@dataclass
class Site:
    server: LiveServer
    sink: MailSink
    data: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url


def _plan() -> dict[str, Any]:
    now = datetime.now(JST).replace(microsecond=0)
    yesterday = (now - timedelta(days=1)).date()
    ahead = (now + timedelta(days=3)).date()

    def at(day: Any, hh: int, mm: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=JST)

    # On the day itself: the next slot today if there is one, else one that started earlier today
    # (made the day before); either way the cancellation link must refuse.
    next_hour = (now + timedelta(hours=1)).replace(minute=0, second=0)
    if next_hour.date() == now.date():
        same_day, same_day_now = next_hour, now
    else:
        same_day, same_day_now = at(now.date(), 9), at(yesterday, 12)
    return {
        "office": OFFICE,
        "before": at(yesterday - timedelta(days=1), 12).isoformat(),
        "day_date": yesterday.isoformat(),
        "day": {
            "09": at(yesterday, 9).isoformat(),
            "09+5": at(yesterday, 9, 5).isoformat(),
            "09+20": at(yesterday, 9, 20).isoformat(),
            "10": at(yesterday, 10).isoformat(),
            "11": at(yesterday, 11).isoformat(),
            "12": at(yesterday, 12).isoformat(),
        },
        "now": now.isoformat(),
        "ahead": {f"{h:02d}": at(ahead, h).isoformat() for h in (9, 10, 11, 13, 14)},
        "ahead_key_14": at(ahead, 14).strftime("%Y%m%dT%H%M"),
        "same_day": same_day.isoformat(),
        "same_day_now": same_day_now.isoformat(),
    }


def _result(output: str) -> Any:
    (line,) = [line for line in output.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


def _shell(server: LiveServer, code: str) -> Any:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _result(done.stdout)


def add_staff(server: LiveServer, username: str, role: str, office: str = OFFICE) -> None:
    """SPEC §9: add_staff --noinput takes the password from MADOGUCHI_STAFF_PASSWORD."""
    subprocess.run(
        [sys.executable, "manage.py", "add_staff", username, "--office", office, "--role", role, "--noinput"],
        cwd=ROOT,
        env={**server.env, "MADOGUCHI_STAFF_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
        text=True,
    )


@contextmanager
def running_site(tmp: Path, *, bookings: bool = True) -> Iterator[Site]:
    """The demo office and the test office served with a worker; mail to an SMTP capture."""
    toml = tmp / "a11y-desk.toml"
    times = [f"{h:02d}:00" for h in range(24)]
    (tmp / "a11y-terms.ja.txt").write_text(
        (DEMO.parent / "terms" / "fukuoka-plaza.ja.txt").read_text("utf-8"), "utf-8"
    )
    toml.write_text(OFFICE_TOML.format(code=OFFICE, times=json.dumps(times)), encoding="utf-8")
    with MailSink() as sink, isolated_redis() as redis_env:
        sink.start()
        live = make_live_server(tmp, offices_toml=DEMO, extra_env={**sink.env, **redis_env})
        try:
            live.manage("load_offices", str(toml))
            data: dict[str, Any] = {}
            if bookings:
                plan = json.dumps(_plan(), ensure_ascii=False)
                data = _shell(live, SETUP.format(plan=plan))
            add_staff(live, ADMIN, "office_admin")
            # LiveServer.start leaves its handle on server.log to the garbage collector.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                live.start(worker=True)
            yield Site(live, sink, data)
        finally:
            live.close()
