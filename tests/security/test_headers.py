"""Security headers on every page (SPEC §5, §8): CSP, framing, nosniff, Permissions-Policy,
and on the link pages no Referer and no cache."""

from __future__ import annotations

import pytest

from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold

PUBLIC = [
    "/",
    "/o/fukuoka-plaza/",
    "/o/fukuoka-plaza/book/20261201T1715/",
    "/o/fukuoka-plaza/terms/",
    "/api/v1/offices",
    "/api/v1/openapi.json",
    "/staff/login/",
    "/no-such-page/",
    "/api/v1/no-such-thing",
]


def _directives(policy: str) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in policy.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.fixture
def link_pages(fukuoka, clock) -> list[str]:
    pending = hold(fukuoka, NOW.replace(hour=17, minute=15), now=NOW)
    done = confirmed(
        fukuoka,
        NOW.replace(day=3, hour=17, minute=15),
        now=NOW,
        email="hanako@example.jp",
        phone="090-8765-4321",
    )
    return [
        f"/b/confirm/{confirm_token(pending)}",
        f"/b/cancel/{cancel_token(done)}",
        "/b/confirm/unknown-token",
    ]


@pytest.mark.parametrize("path", PUBLIC)
def test_every_page_has_the_strict_policy(client, fukuoka, clock, path):
    response = client.get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PUBLIC)
def test_camera_and_microphone_are_denied_outside_the_self_check(client, fukuoka, clock, path):
    features = dict(p.strip().split("=", 1) for p in client.get(path)["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features[feature] == "()"


def test_the_self_check_page_may_ask_for_camera_and_microphone_for_itself(client, db):
    features = dict(p.strip().split("=", 1) for p in client.get("/check/")["Permissions-Policy"].split(","))
    assert features["camera"] == "(self)"
    assert features["microphone"] == "(self)"
    assert features["geolocation"] == "()"


def test_the_admin_policy_is_relaxed_only_for_its_inline_style(client, db):
    policy = _directives(client.get("/admin/").headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_link_pages_send_no_referrer_and_are_not_cached(client, link_pages):
    for path in link_pages:
        for response in (client.get(path), client.post(path)):
            assert response["Referrer-Policy"] == "no-referrer", path
            assert response["Cache-Control"] == "no-store", path


def test_the_check_your_email_page_is_not_cached_either(client, fukuoka, clock):
    client.post(
        "/o/fukuoka-plaza/book/20261201T1715/",
        {
            "name": "山田 太郎",
            "email": "taro@example.jp",
            "phone": "090-1234-5678",
            "agree_terms": "on",
            "terms_version": "demo-1",
        },
    )
    response = client.get("/b/sent/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_other_pages_keep_the_same_origin_referrer(client, fukuoka, clock):
    response = client.get("/o/fukuoka-plaza/")
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.get("Cache-Control", "")


def test_staff_pages_are_not_cached(client, fukuoka, counsellor):
    client.force_login(counsellor)
    for path in ("/staff/login/", "/staff/fukuoka-plaza/day/2026-12-01/"):
        response = client.get(path)
        assert response["Cache-Control"] == "no-store", path
