"""R10: the public booking endpoints and staff logins leave one access record each, with the
time, address and user agent, never a token (SPEC §5, §8); office administrators read their
office's records, nobody changes them, and retention deletes them after MADOGUCHI_ACCESS_LOG_DAYS."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.db import DatabaseError
from django.forms.models import model_to_dict
from django.urls import get_resolver

from bookings.models import Booking, Status
from bookings.retention import purge_access_records
from console.models import AccessKind, AccessRecord
from madoguchi.access_records import ENDPOINTS, stored_path, view_name
from tests.conftest import jst
from tests.console.conftest import PASSWORD, add_staff, pass_second_factor
from tests.front.helpers import PERSON, cancel_token, confirm_token, confirmed, hold

NOW = jst(2026, 12, 1, 10, 0)  # a Tuesday: the 17:15 slot is ahead
TUESDAY = jst(2026, 12, 1, 17, 15)
THURSDAY = jst(2026, 12, 3, 17, 15)  # cancellable by link today (R7)
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
DEVICE = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": BROWSER}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def only_record() -> AccessRecord:
    [record] = AccessRecord.objects.all()
    return record


def stored(record: AccessRecord) -> str:
    """Every stored value of the row, as one text to search for a token."""
    return json.dumps(model_to_dict(record), default=str, ensure_ascii=False)


def assert_recorded(record: AccessRecord, *, kind: str, method: str, status: int, office) -> None:
    assert (record.kind, record.method, record.status_code) == (kind, method, status)
    assert (record.ip_address, record.user_agent) == ("203.0.113.7", BROWSER)
    assert record.office == office
    assert record.at == NOW
    assert (record.user, record.username) == (None, "")


def api(client, path: str, body: dict) -> object:
    return client.post(f"/api/v1/{path}", data=json.dumps(body), content_type="application/json", **DEVICE)


# Public endpoints: one record each, with the device and the office, no token.


def test_every_recorded_view_name_is_a_routed_view():
    # The record is keyed by the views' dotted names: a renamed view must not silently stop
    # being recorded.
    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield view_name(pattern.callback)

    routed = set(views(get_resolver().url_patterns))
    assert set(ENDPOINTS) <= routed, set(ENDPOINTS) - routed
    assert len(ENDPOINTS) == 6


def test_sending_the_booking_form_is_recorded(client, fukuoka, clock):
    response = client.post("/o/fukuoka-plaza/book/20261201T1715/", PERSON, **DEVICE)
    assert response.status_code == 302
    record = only_record()
    assert_recorded(record, kind=AccessKind.BOOKING, method="POST", status=302, office=fukuoka)
    assert record.path == "/o/fukuoka-plaza/book/20261201T1715/"
    assert "taro@example.jp" not in stored(record)  # what was typed is no part of the record


def test_opening_the_booking_form_or_the_office_page_is_not_recorded(client, fukuoka, clock):
    assert client.get("/o/fukuoka-plaza/book/20261201T1715/", **DEVICE).status_code == 200
    assert client.get("/o/fukuoka-plaza/", **DEVICE).status_code == 200
    assert client.get("/", **DEVICE).status_code == 200
    assert not AccessRecord.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_confirmation_link_is_recorded_without_its_token(client, fukuoka, clock, method):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    token = confirm_token(booking)
    response = getattr(client, method)(f"/b/confirm/{token}", **DEVICE)
    assert response.status_code == 200
    record = only_record()
    assert_recorded(record, kind=AccessKind.CONFIRM, method=method.upper(), status=200, office=fukuoka)
    assert record.path == "/b/confirm/[redacted]"
    assert token not in stored(record)
    booking.refresh_from_db()
    assert booking.status == (Status.CONFIRMED if method == "post" else Status.PENDING)


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_cancellation_link_is_recorded_without_its_token(client, fukuoka, clock, method):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    token = cancel_token(booking)
    response = getattr(client, method)(f"/b/cancel/{token}", **DEVICE)
    assert response.status_code == 200
    record = only_record()
    assert_recorded(record, kind=AccessKind.CANCEL, method=method.upper(), status=200, office=fukuoka)
    assert record.path == "/b/cancel/[redacted]"
    assert token not in stored(record)


def spelt_out(token: str) -> str:
    return "".join(f"%{ord(ch):02X}" for ch in token)


@pytest.mark.parametrize("path", ["/b/%63onfirm/{token}", "/b/confirm/{spelt}", "/b/%63onfirm/{spelt}"])
def test_a_percent_encoded_link_is_redacted_too(client, fukuoka, clock, path):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    token = confirm_token(booking)
    assert client.get(path.format(token=token, spelt=spelt_out(token)), **DEVICE).status_code == 200
    record = only_record()
    assert (record.kind, record.office, record.path) == (AccessKind.CONFIRM, fukuoka, "/b/confirm/[redacted]")
    assert token not in stored(record)
    assert spelt_out(token) not in stored(record)


@pytest.mark.parametrize(
    "path",
    [
        "/b/%63onfirm/TOKENabcdefghijklmnopqrstuvwxyz",
        "/b/%2563onfirm/TOKENabcdefghijklmnopqrstuvwxyz",  # encoded twice
        "/b/%252563%6fnfirm/TOKENabcdefghijklmnopqrstuvwxyz",
        "/b/cancel/%54OKENabcdefghijklmnopqrstuvwxyz",
    ],
)
def test_the_stored_path_is_decoded_before_tokens_are_redacted(path):
    assert "TOKEN" not in stored_path(path)
    assert stored_path(path).endswith("/[redacted]")


def test_an_unknown_link_is_recorded_without_an_office(client, fukuoka, clock):
    token = "x" * 43
    assert client.get(f"/b/cancel/{token}", **DEVICE).status_code == 404
    record = only_record()
    assert_recorded(record, kind=AccessKind.CANCEL, method="GET", status=404, office=None)
    assert token not in stored(record)


def test_a_token_in_the_user_agent_is_not_stored_either(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    token = confirm_token(booking)
    client.get(f"/b/confirm/{token}", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=f"scanner {token}")
    record = only_record()
    assert token not in stored(record)
    assert record.user_agent == "scanner [redacted]"


def test_a_long_user_agent_is_cut(client, fukuoka, clock):
    client.get(f"/b/confirm/{'x' * 43}", HTTP_USER_AGENT="A" * 1000)
    assert only_record().user_agent == "A" * 300


def test_the_api_booking_is_recorded_with_the_office_it_names(client, fukuoka, clock):
    body = {
        "office": "fukuoka-plaza",
        "start": "2026-12-01T17:15:00+09:00",
        "name": "山田 太郎",
        "email": "taro@example.jp",
        "phone": "090-1234-5678",
        "agree_terms": True,
    }
    assert api(client, "bookings", body).status_code == 201
    record = only_record()
    assert_recorded(record, kind=AccessKind.BOOKING, method="POST", status=201, office=fukuoka)
    assert record.path == "/api/v1/bookings"
    assert "taro@example.jp" not in stored(record)


def test_an_api_booking_for_no_known_office_has_none(client, fukuoka, clock):
    assert api(client, "bookings", {"office": "nowhere"}).status_code == 404
    assert_recorded(only_record(), kind=AccessKind.BOOKING, method="POST", status=404, office=None)


def test_the_api_confirmation_is_recorded_without_its_token(client, fukuoka, clock):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    token = confirm_token(booking)
    assert api(client, "bookings/confirm", {"token": token}).status_code == 200
    record = only_record()
    assert_recorded(record, kind=AccessKind.CONFIRM, method="POST", status=200, office=fukuoka)
    assert record.path == "/api/v1/bookings/confirm"
    assert token not in stored(record)


def test_the_api_cancellation_is_recorded_without_its_token(client, fukuoka, clock):
    booking = confirmed(fukuoka, THURSDAY, now=NOW)
    token = cancel_token(booking)
    assert api(client, "bookings/cancel", {"token": token}).status_code == 200
    record = only_record()
    assert_recorded(record, kind=AccessKind.CANCEL, method="POST", status=200, office=fukuoka)
    assert token not in stored(record)


def test_a_body_that_is_not_json_is_still_recorded(client, fukuoka, clock):
    response = client.post(
        "/api/v1/bookings/confirm", data=b"\xff[[[", content_type="application/json", **DEVICE
    )
    assert response.status_code == 422
    assert_recorded(only_record(), kind=AccessKind.CONFIRM, method="POST", status=422, office=None)


def test_the_address_comes_from_a_trusted_proxy_only(client, fukuoka, clock, settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    client.get(f"/b/confirm/{'x' * 43}", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    client.get(f"/b/confirm/{'x' * 43}", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert list(AccessRecord.objects.order_by("id").values_list("ip_address", flat=True)) == [
        "198.51.100.9",
        "192.0.2.1",
    ]


def test_an_address_that_is_not_one_is_left_empty(client, fukuoka, clock, settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    client.get(f"/b/confirm/{'x' * 43}", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert only_record().ip_address is None


def test_a_failed_write_does_not_fail_the_request_nor_log_the_token(
    client, fukuoka, clock, monkeypatch, caplog
):
    booking = hold(fukuoka, TUESDAY, now=NOW)
    token = confirm_token(booking)

    def broken(**fields):
        raise DatabaseError(f"disk full while writing {fields}")

    monkeypatch.setattr(AccessRecord.objects, "create", broken)
    with caplog.at_level(logging.ERROR, logger="madoguchi.access_records"):
        response = client.post(f"/b/confirm/{token}", **DEVICE)
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert caplog.messages == ["access record not written: DatabaseError"]
    assert all(token not in line for line in caplog.text.splitlines())


def test_a_booking_is_recorded_once_in_its_own_transaction_even_when_the_slot_is_full(client, fukuoka, clock):
    body = {"office": "fukuoka-plaza", "start": "2026-12-01T17:15:00+09:00", "agree_terms": True}
    first = {"name": "山田 太郎", "email": "taro@example.jp", "phone": "090-1234-5678"}
    second = {"name": "佐藤 花子", "email": "hanako@example.jp", "phone": "080-9876-5432"}
    assert api(client, "bookings", {**body, **first}).status_code == 201
    # Capacity 1: the second hold rolls back, its record with it, and is recorded again as answered.
    assert api(client, "bookings", {**body, **second}).status_code == 409
    records = list(AccessRecord.objects.order_by("id"))
    assert [(r.kind, r.status_code, r.office_id) for r in records] == [
        (AccessKind.BOOKING, 201, fukuoka.pk),
        (AccessKind.BOOKING, 409, fukuoka.pk),
    ]


def test_a_failed_write_in_the_hold_does_not_lose_the_booking(client, fukuoka, clock, monkeypatch, caplog):
    def broken(**fields):
        raise DatabaseError("disk full")

    monkeypatch.setattr(AccessRecord.objects, "create", broken)
    body = {
        "office": "fukuoka-plaza",
        "start": "2026-12-01T17:15:00+09:00",
        "name": "山田 太郎",
        "email": "taro@example.jp",
        "phone": "090-1234-5678",
        "agree_terms": True,
    }
    with caplog.at_level(logging.ERROR, logger="madoguchi.access_records"):
        assert api(client, "bookings", body).status_code == 201
    assert Booking.objects.filter(email_key="taro@example.jp", status=Status.PENDING).count() == 1
    assert caplog.messages == ["access record not written: DatabaseError"] * 2


# Staff logins: recorded through the login signals, with the account, for its offices.


def log_in(client, username: str, password: str):
    return client.post("/staff/login/", {"username": username, "password": password}, **DEVICE)


def test_a_staff_login_is_recorded_with_the_account(client, counsellor, clock):
    assert log_in(client, "soudan", PASSWORD).status_code == 302
    record = only_record()
    assert (record.kind, record.method, record.status_code, record.path) == (
        AccessKind.STAFF_LOGIN,
        "POST",
        302,
        "/staff/login/",
    )
    assert (record.user, record.username, record.office) == (counsellor, "soudan", None)
    assert (record.ip_address, record.user_agent, record.at) == ("203.0.113.7", BROWSER, NOW)
    assert PASSWORD not in stored(record)


def test_a_failed_staff_login_is_recorded_with_the_account_it_tried(client, counsellor, clock):
    assert log_in(client, "soudan", "wrong-password").status_code == 200
    record = only_record()
    assert (record.kind, record.status_code) == (AccessKind.STAFF_LOGIN_FAILED, 200)
    assert (record.user, record.username, record.office) == (counsellor, "soudan", None)
    assert "wrong-password" not in stored(record)


def test_a_failed_login_for_no_account_keeps_no_username(client, counsellor, clock):
    # Often a password typed into the wrong field: not kept.
    log_in(client, "Hunter2!secret", "wrong-password")
    record = only_record()
    assert (record.kind, record.user, record.username) == (AccessKind.STAFF_LOGIN_FAILED, None, "")
    assert "Hunter2" not in stored(record)


def test_a_locked_out_login_is_recorded_as_failed(client, counsellor, clock, settings):
    settings.RATELIMIT_ENABLE = False
    for _ in range(5):
        log_in(client, "soudan", "wrong-password")
    assert log_in(client, "soudan", PASSWORD).status_code == 429
    kinds = list(AccessRecord.objects.order_by("id").values_list("kind", "status_code"))
    assert kinds[-1] == (AccessKind.STAFF_LOGIN_FAILED, 429)
    assert len(kinds) == 6


def test_staff_pages_and_the_second_factor_are_not_recorded(client, office_admin, clock):
    client.force_login(office_admin)
    pass_second_factor(client, office_admin)
    client.get("/staff/fukuoka-plaza/day/2026-12-01/", **DEVICE)
    assert not AccessRecord.objects.exists()


# Reading the records: office administrators only, their office only.

RECORDS = "/staff/fukuoka-plaza/records/"


def make_record(**fields: Any) -> AccessRecord:
    defaults = {"at": NOW, "kind": AccessKind.CONFIRM, "method": "GET", "path": "/b/confirm/[redacted]"}
    return AccessRecord.objects.create(**{**defaults, "status_code": 200, **fields})


LOGIN = {"kind": AccessKind.STAFF_LOGIN, "method": "POST", "path": "/staff/login/", "status_code": 302}


@pytest.fixture
def some_records(fukuoka, office_b, office_admin, counsellor):
    other_admin = add_staff("kanri-b", "office_admin", office_b)
    make_record(ip_address="203.0.113.1", user_agent="ours", office=fukuoka)
    make_record(kind=AccessKind.CANCEL, ip_address="203.0.113.2", user_agent="theirs", office=office_b)
    make_record(
        **LOGIN,
        at=NOW - timedelta(days=1),
        ip_address="203.0.113.3",
        user_agent="our staff",
        user=counsellor,
        username="soudan",
    )
    make_record(
        **LOGIN, ip_address="203.0.113.4", user_agent="their staff", user=other_admin, username="kanri-b"
    )
    make_record(
        **{**LOGIN, "kind": AccessKind.STAFF_LOGIN_FAILED}, ip_address="203.0.113.5", user_agent="nobody's"
    )


def test_a_counsellor_may_not_read_the_records(client, counsellor, some_records):
    client.force_login(counsellor)
    pass_second_factor(client, counsellor)
    assert client.get(RECORDS).status_code == 403


def test_the_office_admin_reads_the_records_after_the_second_factor(client, office_admin, some_records):
    client.force_login(office_admin)
    response = client.get(RECORDS)
    assert response.status_code == 302  # to the second factor first
    assert "ours" not in response.content.decode()


def test_the_office_admin_sees_their_office_and_their_staff_only(client, office_admin, some_records):
    client.force_login(office_admin)
    pass_second_factor(client, office_admin)
    response = client.get(RECORDS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "ours" in html and "our staff" in html and "soudan" in html
    assert "203.0.113.1" in html
    assert "theirs" not in html and "their staff" not in html and "nobody&#x27;s" not in html
    assert "203.0.113.2" not in html and "kanri-b" not in html
    # Newest first, in office time.
    assert html.index("2026-12-01 10:00:00") < html.index("2026-11-30 10:00:00")
    assert client.get("/staff/office-b/records/").status_code == 404


def test_the_records_can_be_filtered_by_kind_and_day(client, office_admin, some_records):
    client.force_login(office_admin)
    pass_second_factor(client, office_admin)
    html = client.get(RECORDS, {"kind": "staff_login"}).content.decode()
    assert "our staff" in html and "203.0.113.1" not in html
    html = client.get(RECORDS, {"day": "2026-11-30"}).content.decode()
    assert "our staff" in html and "203.0.113.1" not in html
    html = client.get(RECORDS, {"day": "2026-12-01", "kind": "confirm"}).content.decode()
    assert "203.0.113.1" in html and "our staff" not in html
    response = client.get(RECORDS, {"day": "someday", "kind": "staff_login"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_day_error"' in html  # the mistake is said, the other filter still holds
    assert "our staff" in html and "203.0.113.1" not in html


def test_the_pages_keep_the_filter(client, office_admin, fukuoka):
    for minute in range(101):
        make_record(at=NOW + timedelta(minutes=minute), office=fukuoka)
    client.force_login(office_admin)
    pass_second_factor(client, office_admin)
    html = client.get(RECORDS, {"kind": "confirm"}).content.decode()
    assert 'href="?kind=confirm&amp;page=2"' in html


# Append-only, and gone after the retention period.


def test_records_cannot_be_changed_or_deleted(fukuoka):
    record = make_record()
    record.status_code = 500
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AccessRecord.objects.filter(pk=record.pk).update(status_code=500)
    with pytest.raises(PermissionError):
        AccessRecord.objects.all().delete()
    assert AccessRecord.objects.get().status_code == 200


def test_records_are_not_in_the_admin():
    assert not admin.site.is_registered(AccessRecord)


def test_old_records_are_purged_and_newer_ones_kept(fukuoka, settings):
    settings.MADOGUCHI_ACCESS_LOG_DAYS = 90
    for age in (timedelta(days=91), timedelta(days=90), timedelta(days=90) - timedelta(seconds=1)):
        make_record(at=NOW - age)
    assert purge_access_records(now=NOW) == 2
    assert list(AccessRecord.objects.values_list("at", flat=True)) == [
        NOW - timedelta(days=90) + timedelta(seconds=1)
    ]
    assert purge_access_records(now=NOW) == 0  # again: nothing more
