"""Staff sessions end after 30 minutes without a request, and a password change signs out the
account's other sessions (R11: personal data only before staff who are there)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client

from madoguchi.middleware import LAST_SEEN
from tests.conftest import jst
from tests.console.conftest import PASSWORD

START = jst(2026, 12, 1, 9, 0)
DAY = "/staff/fukuoka-plaza/day/2026-12-01/"


def signed_in(username: str = "soudan", password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/staff/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_a_staff_session_survives_29_minutes_of_quiet(counsellor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in()
        for _ in range(4):  # a whole morning, one page every 29 minutes
            clock.shift(timedelta(minutes=29))
            assert client.get(DAY).status_code == 200


def test_a_staff_session_ends_after_30_minutes_of_quiet(counsellor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in()
        assert client.get(DAY).status_code == 200
        clock.shift(timedelta(minutes=30, seconds=1))
        response = client.get(DAY)
        assert is_login_redirect(response)
        assert "next=" in response["Location"]
        # Gone for good: coming back at once does not bring the session back.
        assert is_login_redirect(client.get(DAY))
        assert "_auth_user_id" not in client.session


def test_the_quiet_counts_from_the_sign_in_itself(counsellor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in()
        clock.shift(timedelta(minutes=31))
        assert is_login_redirect(client.get(DAY))


def test_the_admin_ends_with_the_same_quiet(counsellor):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in()
        clock.shift(timedelta(minutes=31))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session


def test_public_pages_keep_no_clock_in_the_session(client, fukuoka, counsellor):
    with time_machine.travel(START, tick=False):
        client.get("/")
        client.get("/o/fukuoka-plaza/")
        assert LAST_SEEN not in client.session
        staff = signed_in()
        before = staff.session[LAST_SEEN]
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        staff.get("/o/fukuoka-plaza/")  # a public page does not count as staff work
        assert staff.session[LAST_SEEN] == before


def test_a_password_change_signs_out_the_other_sessions(counsellor):
    desk, laptop = signed_in(), signed_in()
    assert desk.get(DAY).status_code == 200
    assert laptop.get(DAY).status_code == 200
    new = "a-new-passphrase-for-2027"
    response = desk.post(
        "/staff/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert desk.get(DAY).status_code == 200  # the session that changed it goes on
    assert is_login_redirect(laptop.get(DAY))  # the other one is out
    assert signed_in(password=new).get(DAY).status_code == 200
