"""SPEC §4: an office file exactly as the SPEC shows it, without its optional keys,
gives an office that can be booked at once, under the standard terms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from bookings.emails import render_mail
from bookings.models import Booking, CancelledBy, MailKind, OutgoingMail, Status
from offices.models import Office, TermsVersion
from offices.terms import read_standard_terms
from tests.conftest import jst

# SPEC §4 word for word, less the optional [office.terms] table.
PLAIN = """\
[[office]]
code = "fukuoka-plaza"            # [a-z0-9-], unique, used in URLs and the API
name = "ハローワークプラザ福岡"
phone = "092-000-0000"            # shown for same-day cancellations
timezone = "Asia/Tokyo"
capacity = 1                      # seats per slot (counsellors)
horizon_days = 60                 # how far ahead slots can be booked
meeting_url = "https://meet.example.org/room/{room}"  # {room}: per-booking unguessable id; without it, one fixed URL

[[office.slots]]
weekdays = ["tue", "thu"]
times = ["17:15", "18:15"]
minutes = 30

[[office.slots]]
weekdays = ["sat"]
nth = [2, 4]                      # nth weekday of the month
times = ["11:00", "13:00", "14:00", "15:00"]
minutes = 30

[[office.closures]]                # optional extra closed days
date = "2027-03-31"
reason = "施設点検"
"""

HELD = jst(2026, 11, 26, 10, 0)
START = "2026-12-01T17:15:00+09:00"
LINK = re.compile(r"/b/(confirm|cancel)/([A-Za-z0-9_-]+)")
STANDARD = read_standard_terms()[-1]


@pytest.fixture
def plain_file(tmp_path: Path) -> Path:
    path = tmp_path / "offices.toml"
    path.write_text(PLAIN, encoding="utf-8")
    return path


@pytest.fixture
def plain_office(db, plain_file: Path) -> Office:
    call_command("load_offices", str(plain_file), stdout=None)
    return Office.objects.get(code="fukuoka-plaza")


def token_in_mail(booking: Booking, kind: str) -> str:
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=kind))
    [(purpose, token)] = set(LINK.findall(message.body))
    assert purpose == ("confirm" if kind == MailKind.CONFIRM_REQUEST else "cancel")
    return token


def api(client, path: str, body: dict) -> tuple[int, dict]:
    response = client.post(f"/api/v1/{path}", data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_it_loads_the_plain_file_twice_and_changes_nothing_the_second_time(db, plain_file, capsys):
    call_command("load_offices", str(plain_file))
    assert "created: fukuoka-plaza" in capsys.readouterr().out
    before = list(TermsVersion.objects.values_list("pk", "office", "version", "body"))
    call_command("load_offices", str(plain_file))
    assert capsys.readouterr().out.strip() == "unchanged: fukuoka-plaza"
    assert list(TermsVersion.objects.values_list("pk", "office", "version", "body")) == before
    office = Office.objects.get(code="fukuoka-plaza")
    assert office.meeting_service == "TeleOffice"
    assert not office.terms_versions.exists()


def test_it_books_confirms_and_cancels_through_the_api(plain_office, client):
    with time_machine.travel(HELD, tick=False):
        status, body = api(
            client,
            "bookings",
            {
                "office": "fukuoka-plaza",
                "start": START,
                "name": "山田 太郎",
                "email": "taro@example.jp",
                "phone": "090-1234-5678",
                "agree_terms": True,
            },
        )
        assert status == 201, body
        booking = Booking.objects.get(pk=body["id"])
        assert (booking.terms.office, booking.terms.version) == (None, STANDARD["version"])

        status, body = api(
            client, "bookings/confirm", {"token": token_in_mail(booking, MailKind.CONFIRM_REQUEST)}
        )
        assert (status, body["status"]) == (200, "confirmed")
        assert body["meeting_url"].startswith("https://meet.example.org/room/")

        status, body = api(client, "bookings/cancel", {"token": token_in_mail(booking, MailKind.COMPLETION)})
        assert (status, body["status"]) == (200, "cancelled")
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == (Status.CANCELLED, CancelledBy.LINK)


def test_it_books_confirms_and_cancels_through_the_form(plain_office, client):
    form = "/o/fukuoka-plaza/book/20261201T1715/"
    with time_machine.travel(HELD, tick=False):
        page = client.get(form).content.decode()
        # R4: the standard terms are shown, and consent is tied to their version.
        assert STANDARD["title"] in page
        assert f'name="terms_version" value="{STANDARD["version"]}"' in page

        response = client.post(
            form,
            {
                "name": "山田 太郎",
                "email": "taro@example.jp",
                "phone": "090-1234-5678",
                "agree_terms": "on",
                "terms_version": STANDARD["version"],
            },
        )
        assert response.status_code == 302, response.content.decode()
        booking = Booking.objects.get()
        assert booking.terms.version == STANDARD["version"]

        confirm = f"/b/confirm/{token_in_mail(booking, MailKind.CONFIRM_REQUEST)}"
        assert client.post(confirm).status_code == 200
        booking.refresh_from_db()
        assert booking.status == Status.CONFIRMED

        cancel = f"/b/cancel/{token_in_mail(booking, MailKind.COMPLETION)}"
        assert client.post(cancel).status_code == 200
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == (Status.CANCELLED, CancelledBy.LINK)


def test_its_terms_page_shows_the_standard_terms(plain_office, client):
    with time_machine.travel(HELD, tick=False):
        html = client.get("/o/fukuoka-plaza/terms/").content.decode()
        assert STANDARD["title"] in html
        assert STANDARD["body"].splitlines()[0] in html
        english = client.get("/o/fukuoka-plaza/terms/", headers={"accept-language": "en"}).content.decode()
    assert STANDARD["title_en"] in english
    assert "the Japanese original prevails" in english
