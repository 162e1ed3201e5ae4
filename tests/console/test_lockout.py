"""SPEC §9: 5 failed logins for one username within 15 minutes lock it for 15 minutes,
even with the right password, also with the public rate limits off; nothing says
whether the username exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from tests.conftest import jst
from tests.console.conftest import PASSWORD

T0 = jst(2026, 12, 1, 9, 0)


def attempt(client, username: str, password: str):
    return client.post("/staff/login/", {"username": username, "password": password})


def fail_five_times(client, username: str) -> None:
    for _ in range(5):
        assert attempt(client, username, "wrong-password").status_code in (200, 429)


@pytest.fixture(autouse=True)
def limits_off(settings):
    settings.RATELIMIT_ENABLE = False  # the public limits; the lockout must not care


def test_it_logs_in_with_the_right_password(client, counsellor):
    response = attempt(client, "soudan", PASSWORD)
    assert response.status_code == 302
    assert client.get("/staff/fukuoka-plaza/day/2026-12-01/").status_code == 200


def test_it_says_wrong_without_saying_which(client, counsellor):
    html = attempt(client, "soudan", "wrong-password").content.decode()
    assert "ユーザー名またはパスワードが正しくありません。" in html


def test_it_refuses_the_right_password_after_five_failures(client, counsellor):
    with time_machine.travel(T0, tick=False):
        fail_five_times(client, "soudan")
        response = attempt(client, "soudan", PASSWORD)
    assert response.status_code == 429
    assert "15分間ログインできません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_releases_the_lock_after_fifteen_minutes(client, counsellor):
    with time_machine.travel(T0, tick=False) as clock:
        fail_five_times(client, "soudan")
        clock.move_to(T0 + timedelta(minutes=14, seconds=59))
        assert attempt(client, "soudan", PASSWORD).status_code == 429
        clock.move_to(T0 + timedelta(minutes=15, seconds=1))
        assert attempt(client, "soudan", PASSWORD).status_code == 302


def test_four_failures_do_not_lock(client, counsellor):
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            attempt(client, "soudan", "wrong-password")
        assert attempt(client, "soudan", PASSWORD).status_code == 302


def test_an_unknown_username_locks_exactly_like_a_real_one(client, counsellor):
    with time_machine.travel(T0, tick=False):
        fail_five_times(client, "soudan")
        fail_five_times(client, "nobody-here")
        real = attempt(client, "soudan", "wrong-password")
        unknown = attempt(client, "nobody-here", "wrong-password")
    assert real.status_code == unknown.status_code == 429
    assert page_without_tokens(real, "soudan") == page_without_tokens(unknown, "nobody-here")


def page_without_tokens(response, username: str) -> str:
    html = response.content.decode().replace(username, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_lock_is_per_username(client, counsellor, office_admin):
    with time_machine.travel(T0, tick=False):
        fail_five_times(client, "soudan")
        assert attempt(client, "kanri", PASSWORD).status_code == 302
