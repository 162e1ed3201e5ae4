"""hypothesis against every public input (SPEC §6): any Unicode, control characters, lone
surrogates, huge strings, deeply nested JSON and absurd dates.

Each answer is a success, a clean 4xx (in the error envelope on the API, a page with the form's
errors on the site), never a 5xx; and after every example, whatever was stored is clean text.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL, which refuses a NUL in any query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.db import models
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bookings.models import Booking
from bookings.normalize import has_control_characters
from console.models import AccessRecord
from tests.api.helpers import error_of
from tests.conftest import jst

NOW = jst(2026, 12, 1, 10, 0)  # Tuesday: the 17:15 and 18:15 slots are open
OPEN_STARTS = ["2026-12-01T17:15:00+09:00", "2026-12-01T18:15:00+09:00", "2026-12-03T17:15:00+09:00"]
SLOT_KEYS = ["20261201T1715", "20261201T1815", "20261203T1715"]
TERMS = "demo-1"

FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is a real one
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Text of every kind: all of Unicode including lone surrogates and control characters,
# the characters that break things on purpose, and very long strings.
ANY_CHAR = st.characters(categories=None, exclude_categories=())
NASTY = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\x1b[31m",
        "\u202e",
        "\r\n",
        "\t",
        "\ufeff",
        "\ufffd",
        "㍿",
        "０９０",
        "'; --",
        "<script>",
    ]
)
HUGE = st.builds(lambda c, n: c * n, st.sampled_from(["x", "あ", "\x00", "9"]), st.integers(1_000, 200_000))
TEXT = st.one_of(st.text(ANY_CHAR, max_size=60), NASTY, st.lists(NASTY, max_size=8).map("".join), HUGE)

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)

DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),  # year 1 to 9999
    st.sampled_from(["0000-01-01", "99999-01-01", "2026-02-30", "2026-W49-2", "+2026-12-01", "-0001-01-01"]),
    TEXT,
)


def _valid_or(valid: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(valid), JSON_VALUE)


BOOKING_BODY = st.fixed_dictionaries(
    {
        "office": _valid_or("fukuoka-plaza"),
        "start": st.one_of(st.sampled_from(OPEN_STARTS), DATES, JSON_VALUE),
        "name": _valid_or("山田 太郎"),
        "email": st.one_of(st.emails(), JSON_VALUE),
        "phone": _valid_or("090-1234-5678"),
        "agree_terms": _valid_or(True),
    },
    optional={
        "jobseeker_number": _valid_or("40010-12345678"),
        "note": TEXT,
        "support": JSON_VALUE,
        "extra": JSON_VALUE,
    },
)


VALID_BODY: dict[str, Any] = {
    "office": "fukuoka-plaza",
    "start": OPEN_STARTS[0],
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": True,
}
# A good body with one field (or none) made hostile: each field's checks on their own,
# and some successes, which must store clean text.
ONE_FIELD_BAD = st.tuples(
    st.sampled_from([None, *VALID_BODY, "jobseeker_number", "note", "support"]),
    st.one_of(JSON_VALUE, DATES),
    st.sampled_from(OPEN_STARTS),
).map(lambda t: {**VALID_BODY, "start": t[2], **({t[0]: t[1]} if t[0] else {})})


def _nested(depth: int, kind: str) -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"1" + b"}" * depth)


RAW_BODY = st.one_of(
    st.binary(max_size=200),
    st.builds(_nested, st.integers(1, 60_000), st.sampled_from(["list", "object"])),
    st.sampled_from(
        [b"", b"null", b"[]", b'"x"', b"{", b'{"office": "\xed\xa0\x80"}', b"\xff\xfe{}", b"1e999999"]
    ),
)


@pytest.fixture
def still() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _json_bytes(body: Any) -> bytes:
    # What a hostile client can send: lone surrogates as \ud800 escapes, or as raw bytes.
    return json.dumps(body, ensure_ascii=True).encode()


def assert_nothing_stored_is_garbage() -> None:
    text_fields = [
        f.attname for f in Booking._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
    ]
    for values in Booking.objects.values_list(*text_fields):
        for value in values:
            assert not has_control_characters(value or "", allow_newlines=True), repr(value)[:200]


def assert_api_answer(response: Any, *, success: set[int]) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code not in success:
        assert 400 <= response.status_code < 500
        error_of(response)  # the envelope of SPEC §6, and nothing else


@FUZZ
@given(
    body=st.one_of(
        ONE_FIELD_BAD.map(_json_bytes), BOOKING_BODY.map(_json_bytes), JSON_VALUE.map(_json_bytes), RAW_BODY
    )
)
def test_booking_bodies_get_a_hold_or_a_clean_4xx(client, fukuoka, still, body):
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert_api_answer(response, success={201})
    assert_nothing_stored_is_garbage()


@FUZZ
@given(
    path=st.sampled_from(["confirm", "cancel"]),
    body=st.one_of(
        st.fixed_dictionaries({"token": JSON_VALUE}).map(_json_bytes), JSON_VALUE.map(_json_bytes), RAW_BODY
    ),
)
def test_token_bodies_get_a_clean_4xx(client, fukuoka, still, path, body):
    response = client.post(f"/api/v1/bookings/{path}", data=body, content_type="application/json")
    assert_api_answer(response, success=set())


def _q(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@FUZZ
@given(
    code=st.one_of(st.just("fukuoka-plaza"), TEXT.filter(bool)),
    first=st.none() | DATES,
    last=st.none() | DATES,
)
def test_the_slots_query_gets_slots_or_a_clean_4xx(client, fukuoka, still, code, first, last):
    query = "&".join(
        f"{name}={_q(value)}" for name, value in (("from", first), ("to", last)) if value is not None
    )
    response = client.get(f"/api/v1/offices/{_q(code[:2000])}/slots?{query}")
    assert_api_answer(response, success={200})
    if response.status_code == 200:
        assert response.json()["office"] == "fukuoka-plaza"


FORM_TEXT = st.one_of(st.just(None), TEXT.map(lambda t: t[:5000]))
VALID_FORM = {
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": "on",
    "terms_version": TERMS,
}
FORM_ONE_FIELD_BAD = st.tuples(
    st.sampled_from([None, *VALID_FORM, "jobseeker_number", "note", "support"]), FORM_TEXT
).map(lambda t: {**VALID_FORM, **({t[0]: t[1]} if t[0] else {})})


@FUZZ
@given(
    slot=st.one_of(st.sampled_from(SLOT_KEYS), TEXT.filter(bool).map(lambda t: t[:200])),
    fields=FORM_ONE_FIELD_BAD
    | st.fixed_dictionaries(
        {
            "name": st.one_of(st.just("山田 太郎"), FORM_TEXT),
            "email": st.one_of(st.emails(), FORM_TEXT),
            "phone": st.one_of(st.just("090-1234-5678"), FORM_TEXT),
            "jobseeker_number": FORM_TEXT,
            "note": FORM_TEXT,
            "support": FORM_TEXT,
            "agree_terms": st.one_of(st.just("on"), FORM_TEXT),
            "terms_version": st.one_of(st.just(TERMS), FORM_TEXT),
        }
    ),
)
def test_the_booking_form_answers_with_errors_or_a_hold(client, fukuoka, still, slot, fields):
    body = "&".join(f"{name}={_q(value)}" for name, value in fields.items() if value is not None)
    response = client.post(
        f"/o/fukuoka-plaza/book/{_q(slot)}/", data=body, content_type="application/x-www-form-urlencoded"
    )
    # 302: held (to "check your email"); 422 or 409: the form again with what is wrong.
    assert response.status_code in {302, 400, 404, 409, 422}, response.status_code
    if response.status_code == 422:
        assert 'class="errorlist' in response.content.decode() or "error" in response.content.decode()
    assert_nothing_stored_is_garbage()


@FUZZ
@given(
    kind=st.sampled_from(["confirm", "cancel"]),
    token=TEXT.filter(bool).map(lambda t: t[:3000]),
    junk=st.dictionaries(TEXT.map(lambda t: t[:100]), FORM_TEXT.filter(lambda v: v is not None), max_size=3),
)
def test_the_link_buttons_answer_4xx_for_any_token(client, fukuoka, still, kind, token, junk):
    body = "&".join(f"{_q(k)}={_q(v)}" for k, v in junk.items())
    response = client.post(
        f"/b/{kind}/{_q(token)}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {400, 404}, response.status_code


@FUZZ
@given(
    path=st.sampled_from(["/", "/o/fukuoka-plaza/", "/o/fukuoka-plaza/terms/", "/check/", "/staff/login/"]),
    query=st.dictionaries(
        st.one_of(st.sampled_from(["v", "next", "from", "to", "page", "lang"]), TEXT.map(lambda t: t[:50])),
        TEXT.map(lambda t: t[:2000]),
        max_size=3,
    ),
)
def test_page_query_strings_never_break_a_page(client, fukuoka, still, path, query):
    response = client.get(f"{path}?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in query.items()))
    assert response.status_code in {200, 302, 400, 404}, response.status_code


# Headers arrive as bytes that WSGI decodes as Latin-1: any of the 256 code points, control
# characters included, and very long values.
HEADER = st.one_of(
    st.text(st.characters(max_codepoint=0xFF, categories=None, exclude_categories=()), max_size=200),
    st.sampled_from(["\x00", "\x1b[31m", "\t", "ja;q=abc", "*;q=1e999", "xx-" * 50, "1.2.3.4, ::1, \x00"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", ",", ";", "\xff"]), st.integers(1_000, 20_000)),
)


def assert_no_access_record_is_garbage() -> None:
    for path, agent in AccessRecord.objects.values_list("path", "user_agent"):
        for value in (path, agent):
            assert not has_control_characters(value or ""), repr(value)[:200]


@FUZZ
@given(language=HEADER, agent=HEADER, cookie=HEADER, forwarded=HEADER)
def test_request_headers_never_break_a_page_or_a_booking(
    client, fukuoka, still, settings, language, agent, cookie, forwarded
):
    # Through a trusted proxy, so that X-Forwarded-For is read too.
    settings.MADOGUCHI_TRUSTED_PROXIES = ["127.0.0.1"]
    headers = {
        "accept-language": language,
        "user-agent": agent,
        "cookie": cookie,
        "x-forwarded-for": forwarded,
    }
    for path in ("/", "/o/fukuoka-plaza/", "/api/v1/offices"):
        response = client.get(path, REMOTE_ADDR="127.0.0.1", headers=headers)
        assert response.status_code in {200, 400}, (path, response.status_code)
    body = _json_bytes({"office": "fukuoka-plaza", "start": OPEN_STARTS[0], "name": "山田 太郎",
                        "email": "taro@example.jp", "phone": "090-1234-5678", "agree_terms": True})  # fmt: skip
    response = client.post(
        "/api/v1/bookings",
        data=body,
        content_type="application/json",
        REMOTE_ADDR="127.0.0.1",
        headers=headers,
    )
    assert_api_answer(response, success={201})
    assert_nothing_stored_is_garbage()
    assert_no_access_record_is_garbage()
