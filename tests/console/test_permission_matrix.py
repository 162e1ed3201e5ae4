"""SPEC §9: who reaches which staff page. Every staff URL and the admin, for anonymous,
a counsellor of A, an administrator of A without and with the second factor, and a
superuser, each against office A and office B."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from bookings.models import Booking, Refusal
from console.models import Role
from offices.models import Office
from tests.conftest import jst
from tests.console.conftest import add_staff, pass_second_factor
from tests.front.helpers import confirmed

NOW = jst(2026, 12, 1, 17, 20)

# (method, path); {o}: office code, {b}: a booking of it, {r}: a refusal of it, {pk}: the office's id.
PAGES = [
    ("get", "/staff/{o}/"),
    ("get", "/staff/{o}/day/2026-12-01/"),
    ("get", "/staff/{o}/day/?d=2026-12-01"),
    ("get", "/staff/{o}/week/2026-12-01/"),
    ("get", "/staff/{o}/week/"),
    ("get", "/staff/{o}/search/"),
    ("post", "/staff/{o}/search/"),
    ("get", "/staff/{o}/person/{b}/"),
    ("post", "/staff/{o}/person/{b}/refuse/"),
    ("get", "/staff/{o}/refusals/"),
    ("post", "/staff/{o}/refusals/{r}/lift/"),
    ("post", "/staff/{o}/booking/{b}/attended/"),
    ("post", "/staff/{o}/booking/{b}/note/"),
    ("get", "/staff/{o}/export.csv?from=2026-12-01&to=2026-12-31"),
]
ADMIN_ONLY = [("get", "/staff/{o}/audit/")]
ADMIN_PAGES = [("get", "/admin/offices/office/{pk}/change/"), ("get", "/admin/offices/termsversion/")]
SHARED = [("get", "/staff/"), ("get", "/staff/password/"), ("get", "/admin/")]

OK = "ok"  # 200, or 302 back into the console after a POST action
LOGIN = "login"
SECOND_FACTOR = "2fa"
DENIED = "denied"  # 403 or 404


def outcome(response, client: Client) -> str:
    if response.status_code in (403, 404):
        return DENIED
    if response.status_code == 302:
        target = response["Location"]
        if target.startswith("/admin/login/"):
            # The admin sends everyone it turns away to its login, which decides.
            return outcome(client.get(target), client)
        if target.startswith("/staff/login/"):
            return LOGIN
        if target.startswith(("/staff/otp/", "/staff/login/?next")) or "otp" in target:
            return SECOND_FACTOR
        return OK
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return OK


@pytest.fixture
def world(office_a: Office, office_b: Office, staff_env):
    with time_machine.travel(NOW, tick=False):
        bookings = {
            office_a: confirmed(office_a, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0)),
            office_b: confirmed(office_b, jst(2026, 12, 1, 17, 15), now=jst(2026, 11, 30, 10, 0)),
        }
    refusals = {
        o: Refusal.objects.create(office=o, email_key="x@example.jp", reason="テスト") for o in bookings
    }
    return bookings, refusals


def fill(path: str, office: Office, bookings: dict[Office, Booking], refusals: dict[Office, Refusal]) -> str:
    return path.format(o=office.code, b=bookings[office].pk, r=refusals[office].pk, pk=office.pk)


def visit(client: Client, method: str, path: str):
    data = {"q": "山田", "reason": "テスト", "note": "メモ"} if method == "post" else None
    return getattr(client, method)(path, data) if data else client.get(path)


def account(kind: str, office_a: Office) -> tuple[object | None, bool]:
    from django.contrib.auth.models import User

    if kind == "anonymous":
        return None, False
    if kind == "counsellor_a":
        return add_staff("soudan", Role.COUNSELLOR, office_a), False
    if kind == "admin_a":
        return add_staff("kanri", Role.OFFICE_ADMIN, office_a), False
    if kind == "admin_a_2fa":
        return add_staff("kanri", Role.OFFICE_ADMIN, office_a), True
    if kind == "superuser_2fa":
        return User.objects.create_superuser("root", "root@example.jp", "pw-for-root-2026"), True
    if kind == "superuser":
        return User.objects.create_superuser("root", "root@example.jp", "pw-for-root-2026"), False
    raise AssertionError(kind)


# What each account gets on office A's pages, B's pages, A's admin-only pages, B's, the admin rows, and shared pages.
EXPECTED = {
    #                 A pages        B pages        A audit        B audit        admin A        admin B        shared
    "anonymous": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "counsellor_a": (OK, DENIED, DENIED, DENIED, DENIED, DENIED, None),
    "admin_a": (SECOND_FACTOR, DENIED, SECOND_FACTOR, DENIED, SECOND_FACTOR, SECOND_FACTOR, SECOND_FACTOR),
    "admin_a_2fa": (OK, DENIED, OK, DENIED, OK, DENIED, OK),
    "superuser": (SECOND_FACTOR,) * 7,
    "superuser_2fa": (OK,) * 7,
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_account_reaches_exactly_its_pages(kind, client, office_a, office_b, world):
    bookings, refusals = world
    with time_machine.travel(NOW, tick=False):
        user, verified = account(kind, office_a)
        if user is not None:
            client.force_login(user)
            if verified:
                pass_second_factor(client, user)
        expected = dict(
            zip(["a", "b", "audit_a", "audit_b", "admin_a", "admin_b", "shared"], EXPECTED[kind], strict=True)
        )
        seen = {}
        for label, office, pages in [
            ("a", office_a, PAGES),
            ("b", office_b, PAGES),
            ("audit_a", office_a, ADMIN_ONLY),
            ("audit_b", office_b, ADMIN_ONLY),
            ("admin_a", office_a, ADMIN_PAGES),
            ("admin_b", office_b, ADMIN_PAGES),
        ]:
            for method, path in pages:
                if label == "admin_b" and "termsversion" in path:
                    continue  # a list page: its rows are scoped, tested separately
                url = fill(path, office, bookings, refusals)
                seen[(label, method, url)] = outcome(visit(client, method, url), client)
        for method, path in SHARED:
            seen[("shared", method, path)] = outcome(visit(client, method, path), client)
    wrong = {
        key: got for key, got in seen.items() if expected[key[0]] is not None and got != expected[key[0]]
    }
    assert not wrong, wrong


def test_a_counsellor_has_no_admin_but_the_console_home(client, counsellor):
    client.force_login(counsellor)
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get("/staff/")["Location"] == "/staff/fukuoka-plaza/"


def test_the_admin_lists_only_the_accounts_offices(client, office_a, office_b, staff_env):
    admin = add_staff("kanri", Role.OFFICE_ADMIN, office_a)
    client.force_login(admin)
    pass_second_factor(client, admin)
    html = client.get("/admin/offices/office/").content.decode()
    assert office_a.name in html
    assert office_b.name not in html
    terms = client.get("/admin/offices/termsversion/").content.decode()
    assert "office-b" not in terms
