"""Hostile input never gets a 5xx (SPEC §6): the API answers in its envelope, pages with a 4xx.

Run on PostgreSQL too (DATABASE_URL): a NUL that reaches a query is an error there, not a miss.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from bookings.models import Booking
from bookings.normalize import has_control_characters
from tests.api.helpers import VALID, error_of
from tests.front.conftest import NOW
from tests.front.helpers import PERSON, hold

FORM = "/o/fukuoka-plaza/book/20261201T1715/"
SLOTS = "/api/v1/offices/fukuoka-plaza/slots"


def post_raw(client, path, body: bytes, content_type="application/json"):
    return client.post(path, data=body, content_type=content_type)


def post_json(client, path, body):
    # json.dumps writes a lone surrogate as the escape \ud800, as a hostile client would.
    return post_raw(client, path, json.dumps(body).encode())


@pytest.fixture
def no_unexpected_errors(caplog):
    """Nothing may be logged at ERROR: no traceback, no lost access record."""
    with caplog.at_level(logging.WARNING):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize("path", ["bookings", "bookings/confirm", "bookings/cancel"])
def test_it_answers_413_too_large_for_a_body_over_the_limit(client, fukuoka, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({**VALID, "note": "x" * 20_000}).encode()
    response = post_raw(client, f"/api/v1/{path}", body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert not Booking.objects.exists()


def test_it_answers_413_at_django_s_own_default_limit(client, fukuoka, no_unexpected_errors):
    response = post_raw(client, "/api/v1/bookings", b'{"note": "' + b"x" * 3_000_000 + b'"}')
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
@pytest.mark.parametrize("path", ["bookings", "bookings/confirm", "bookings/cancel"])
def test_it_refuses_json_nested_too_deep(client, fukuoka, path, body, no_unexpected_errors):
    response = post_raw(client, f"/api/v1/{path}", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"


@pytest.mark.parametrize("office", ["\ud800", "fukuoka-plaza\ud800", "\x00", "fukuoka-plaza\x00", "a\x00b"])
def test_it_refuses_an_office_that_cannot_be_a_code(client, fukuoka, office, no_unexpected_errors):
    response = post_json(client, "/api/v1/bookings", {**VALID, "office": office})
    assert response.status_code == 422
    assert "office" in error_of(response)["fields"]
    assert not Booking.objects.exists()


def test_it_refuses_a_surrogate_sent_as_raw_utf8_bytes(client, fukuoka, no_unexpected_errors):
    # CESU-style bytes for U+D800: json.loads would decode them with surrogatepass.
    response = post_raw(client, "/api/v1/bookings", b'{"office": "\xed\xa0\x80"}')
    assert response.status_code == 422
    assert not Booking.objects.exists()


@pytest.mark.parametrize("field", ["name", "email", "phone", "note", "jobseeker_number"])
@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
def test_it_refuses_nul_and_surrogates_in_every_field(client, fukuoka, field, bad, no_unexpected_errors):
    response = post_json(client, "/api/v1/bookings", {**VALID, field: f"a{bad}b"})
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "start",
    ["2026-12-01T17:15:00+09:00\x00", "2026-12-01T17:15:00\x00+09:00", "\x002026-12-01T17:15:00+09:00"],
)
def test_it_refuses_a_start_with_a_nul(client, fukuoka, clock, start, no_unexpected_errors):
    response = post_json(client, "/api/v1/bookings", {**VALID, "start": start})
    assert response.status_code == 422
    assert "start" in error_of(response)["fields"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("path", ["bookings/confirm", "bookings/cancel"])
@pytest.mark.parametrize("token", ["\x00", "a\x00b", "\ud800", {"$ne": ""}, ["x"], 7])
def test_it_answers_not_found_for_a_token_of_any_kind(client, fukuoka, path, token, no_unexpected_errors):
    response = post_json(client, f"/api/v1/{path}", {"token": token})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("code", ["a%00b", "%00", "fukuoka-plaza%00", "%ED%A0%80", "FUKUOKA", "x" * 300])
def test_the_slots_path_answers_not_found_for_a_code_that_cannot_be(
    client, fukuoka, code, no_unexpected_errors
):
    response = client.get(f"/api/v1/offices/{code}/slots")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "from=0000-01-01",
        "to=0000-12-31",
        "from=99999-01-01",
        "from=%00",
        "to=2026-12-01%00",
        "from=2026-02-30",
        "from=2026-W49-2",
        "from=+2026-12-01",
        "from=２０２６-１２-０１",
        "from=2026-12-02&to=2026-12-01",
    ],
)
def test_the_slots_query_refuses_absurd_dates(client, fukuoka, clock, query, no_unexpected_errors):
    response = client.get(f"{SLOTS}?{query}")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"


@pytest.mark.parametrize(
    "query",
    ["from=0001-01-01&to=0001-01-02", "from=9999-12-31", "to=0001-01-01", "from=9999-12-31&to=9999-12-31"],
)
def test_the_slots_query_answers_far_dates_with_no_slots(client, fukuoka, clock, query, no_unexpected_errors):
    response = client.get(f"{SLOTS}?{query}")
    assert response.status_code == 200
    assert response.json()["slots"] == []


# --- the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "email", "phone", "note", "jobseeker_number", "terms_version"])
# NUL, U+D800 as UTF-8 bytes, an overlong NUL, ESC, a right-to-left override
@pytest.mark.parametrize("bad", ["%00", "%ED%A0%80", "%C0%80", "%1B", "%E2%80%AE"])
def test_the_booking_form_shows_errors_for_nul_and_broken_unicode(client, fukuoka, clock, field, bad):
    fields = {**PERSON, field: "a__b"}
    body = urlencode(fields).replace("a__b", f"a{bad}b")
    response = client.post(FORM, data=body, content_type="application/x-www-form-urlencoded")
    if bad in ("%00", "%1B", "%E2%80%AE"):
        assert response.status_code in (409, 422)
        assert not Booking.objects.exists()
    else:
        # Broken UTF-8 arrives as U+FFFD, a character like any other: a form error or a hold,
        # and what is stored is clean text.
        assert response.status_code in (302, 409, 422)
        for booking in Booking.objects.all():
            assert not has_control_characters(booking.name + booking.note, allow_newlines=True)


def test_the_booking_form_refuses_a_body_over_the_limit(client, fukuoka, clock, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post(FORM, {**PERSON, "note": "x" * 20_000})
    assert 400 <= response.status_code < 500
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/o/fukuoka-plaza/book/2026%001201T1715/",
        "/o/fukuoka-plaza/book/99991231T2359/",
        "/o/fukuoka-plaza/book/00010101T0000/",
        "/o/fukuoka-plaza/book/%ED%A0%80/",
        "/o/fukuoka-plaza/terms/?v=%00",
        "/o/fukuoka-plaza/terms/?v=%ED%A0%80",
        "/o/fukuoka-plaza/?x%00=1",
        "/b/confirm/a%00b",
        "/b/cancel/a%00b",
        "/b/confirm/%ED%A0%80",
        "/staff/login/?next=%00",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_pages_answer_4xx_for_nul_and_broken_unicode(client, fukuoka, clock, path, method):
    response = getattr(client, method)(path)
    assert 400 <= response.status_code < 500 or (method == "get" and response.status_code == 200)
    assert not Booking.objects.exists()


@pytest.mark.parametrize("kind", ["confirm", "cancel"])
def test_link_buttons_ignore_a_huge_or_odd_form_body(client, fukuoka, clock, kind):
    booking = hold(fukuoka, NOW.replace(hour=17, minute=15), now=NOW)
    response = client.post(f"/b/{kind}/{'x' * 5000}", {"junk": "\x00" * 1000})
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == "pending"
