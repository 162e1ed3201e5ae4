"""Public rate limits (madoguchi/ratelimits.py): per address, per recipient, and pending holds.

Limits are off in the test settings; every test here turns them on, with a counter store of
its own (the embedded SQLite file; tests/test_ratelimits.py covers Redis).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from bookings.models import Booking
from madoguchi import ratelimits
from tests.api.helpers import VALID, error_of
from tests.conftest import jst
from tests.front.helpers import PERSON

BODY = '{"office": "fukuoka-plaza"}'
# Thursday 26 November 2026, 10:15 in Fukuoka: 45 minutes before the end of the hour's window.
NOW = jst(2026, 11, 26, 10, 15)
FORM = "/o/fukuoka-plaza/book/20261201T1715/"
SLOTS = [
    "2026-12-01T17:15:00+09:00",
    "2026-12-01T18:15:00+09:00",
    "2026-12-03T17:15:00+09:00",
    "2026-12-03T18:15:00+09:00",
    "2026-12-08T17:15:00+09:00",
    "2026-12-08T18:15:00+09:00",
    "2026-12-10T17:15:00+09:00",
    "2026-12-10T18:15:00+09:00",
]


@pytest.fixture
def limits_on(settings, tmp_path):
    settings.MADOGUCHI_RATE_LIMITS = True
    settings.REDIS_URL = ""
    settings.MADOGUCHI_RATE_LIMIT_FILE = tmp_path / "ratelimits.sqlite3"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def post_api(client, path="bookings", body=BODY, **extra):
    if not isinstance(body, str):
        body = json.dumps(body)
    return client.post(f"/api/v1/{path}", data=body, content_type="application/json", **extra)


def person(n: int, **fields) -> dict:
    return {**VALID, "email": f"person{n}@example.jp", "phone": f"090-2000-{n:04d}", **fields}


def test_it_answers_429_with_the_envelope_and_retry_after_after_too_many_bookings(client, fukuoka, limits_on):
    answers = [post_api(client).status_code for _ in range(ratelimits.BOOK.limit + 1)]
    assert answers[:-1] == [422] * ratelimits.BOOK.limit
    assert answers[-1] == 429
    response = post_api(client)
    assert error_of(response)["code"] == "rate_limited"
    # SPEC §6: seconds until the window ends (10:15 → 11:00).
    assert response["Retry-After"] == str(45 * 60)


def test_it_counts_clients_apart_by_address(client, fukuoka, limits_on):
    for _ in range(ratelimits.BOOK.limit):
        post_api(client, REMOTE_ADDR="10.0.0.1")
    assert post_api(client, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert post_api(client, REMOTE_ADDR="10.0.0.2").status_code == 422


def test_it_groups_ipv6_addresses_by_their_64(client, fukuoka, limits_on):
    for n in range(ratelimits.BOOK.limit):
        post_api(client, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
    same_64 = post_api(client, REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:ffff")
    other_64 = post_api(client, REMOTE_ADDR="2001:db8:1:3::1")
    assert same_64.status_code == 429
    assert other_64.status_code == 422


def test_it_believes_forwarded_addresses_only_from_trusted_proxies(client, fukuoka, limits_on, settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    for _ in range(ratelimits.BOOK.limit):
        post_api(client, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert post_api(client, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert post_api(client, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 422


def test_the_form_and_the_api_share_one_bucket(client, fukuoka, limits_on):
    half = ratelimits.BOOK.limit // 2
    for _ in range(half):
        assert post_api(client).status_code == 422
    for _ in range(ratelimits.BOOK.limit - half):
        assert client.post(FORM, {"name": "x"}).status_code == 422
    api = post_api(client)
    form = client.post(FORM, {"name": "x"})
    assert api.status_code == 429
    assert form.status_code == 429
    # The form's friendly page, with the same header.
    assert form["Retry-After"] == api["Retry-After"] == str(45 * 60)
    assert "しばらくしてからお試しください" in form.content.decode()


def test_confirm_and_cancel_have_buckets_of_their_own(client, fukuoka, limits_on):
    token = {"token": "x" * 43}
    for _ in range(ratelimits.CONFIRM.limit):
        assert post_api(client, "bookings/confirm", token).status_code == 404
    assert post_api(client, "bookings/confirm", token).status_code == 429
    assert post_api(client, "bookings/cancel", token).status_code == 404
    assert post_api(client).status_code == 422  # nor does booking share theirs


def test_the_confirm_page_and_the_api_share_the_confirm_bucket(client, fukuoka, limits_on):
    for _ in range(ratelimits.CONFIRM.limit):
        client.post("/b/confirm/" + "x" * 43)
    response = post_api(client, "bookings/confirm", {"token": "x" * 43})
    assert response.status_code == 429
    assert client.post("/b/confirm/" + "x" * 43).status_code == 429
    assert client.post("/b/cancel/" + "x" * 43).status_code == 404


def test_a_typo_does_not_count_against_the_person(client, fukuoka, limits_on):
    # More than the recipient's limit, fewer than the address's.
    for _ in range(ratelimits.RECIPIENT.limit + 1):
        assert post_api(client, body={**VALID, "phone": "12"}).status_code == 422
        assert post_api(client, body={**VALID, "start": "2026-12-02T17:15:00+09:00"}).status_code == 422
    assert post_api(client, body=VALID).status_code == 201


def test_full_slots_do_not_count_against_the_person(client, fukuoka, limits_on):
    # In a rush a person may find slot after slot taken: no mail went out, so no lock-out.
    for n, start in enumerate(SLOTS[:-1]):
        taken = post_api(client, body=person(n, start=start), REMOTE_ADDR=f"10.2.0.{n}")
        assert taken.status_code == 201
    for start in SLOTS[:-1]:
        response = post_api(client, body={**VALID, "start": start}, REMOTE_ADDR="10.3.0.1")
        assert response.status_code == 409
        assert error_of(response)["code"] == "slot_full"
    assert len(SLOTS) - 1 > ratelimits.RECIPIENT.limit
    assert post_api(client, body={**VALID, "start": SLOTS[-1]}, REMOTE_ADDR="10.3.0.1").status_code == 201


def test_it_limits_requests_for_one_recipient_from_many_addresses(client, fukuoka, limits_on):
    # Different addresses and phones, one recipient: the confirmation mail is not sent over and over.
    answers = [
        post_api(
            client,
            body=person(n, email="victim@example.jp", start=SLOTS[n % len(SLOTS)]),
            REMOTE_ADDR=f"10.1.0.{n}",
        ).status_code
        for n in range(ratelimits.RECIPIENT.limit + 1)
    ]
    assert answers[: ratelimits.RECIPIENT.limit] == [201] * ratelimits.RECIPIENT.limit
    assert answers[-1] == 429
    assert post_api(client, body=person(99, start=SLOTS[1]), REMOTE_ADDR="10.1.0.99").status_code == 201


def test_it_caps_pending_holds_per_address(client, fukuoka, limits_on):
    cap = ratelimits.PENDING_HOLDS_PER_ADDRESS
    for n in range(cap):
        assert post_api(client, body=person(n, start=SLOTS[n])).status_code == 201
    over = post_api(client, body=person(cap, start=SLOTS[cap]))
    assert over.status_code == 429
    assert error_of(over)["code"] == "rate_limited"
    # Until the first hold expires (10:15 + 1 hour).
    assert over["Retry-After"] == str(60 * 60)
    assert Booking.objects.count() == cap
    # Another address, another count; in the same /64 the same.
    assert post_api(client, body=person(cap, start=SLOTS[cap]), REMOTE_ADDR="10.9.9.9").status_code == 201


def test_the_pending_cap_frees_up_as_holds_expire(client, fukuoka, limits_on):
    cap = ratelimits.PENDING_HOLDS_PER_ADDRESS
    for n in range(cap):
        post_api(client, body=person(n, start=SLOTS[n]))
    limits_on.shift(timedelta(hours=1))
    assert post_api(client, body=person(cap, start=SLOTS[cap])).status_code == 201


def test_the_form_shows_the_friendly_page_at_the_pending_cap(client, fukuoka, limits_on):
    cap = ratelimits.PENDING_HOLDS_PER_ADDRESS
    for n in range(cap):
        post_api(client, body=person(n, start=SLOTS[n + 1]))
    response = client.post(FORM, {**PERSON, "email": "form@example.jp", "phone": "080-3000-0000"})
    assert response.status_code == 429
    assert response["Retry-After"] == str(60 * 60)
    assert not Booking.objects.filter(email="form@example.jp").exists()


def test_the_switch_turns_the_public_limits_off(client, fukuoka, limits_on, settings):
    settings.MADOGUCHI_RATE_LIMITS = False
    answers = {post_api(client).status_code for _ in range(ratelimits.BOOK.limit * 2)}
    assert answers == {422}
    for n in range(ratelimits.PENDING_HOLDS_PER_ADDRESS + 1):
        assert post_api(client, body=person(n, start=SLOTS[n])).status_code == 201
