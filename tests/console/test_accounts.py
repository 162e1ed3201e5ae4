"""SPEC §9: add_staff creates or updates accounts; the second factor is set up and required
for office administrators and superusers before personal data, optional for counsellors."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.models import Role, StaffMembership
from tests.console.conftest import PASSWORD, add_staff, current_token


def test_add_staff_creates_an_account_with_the_password_from_the_environment(staff_env, office_a, office_b):
    out = io.StringIO()
    call_command(
        "add_staff",
        "tanaka",
        "--office",
        office_a.code,
        "--office",
        office_b.code,
        "--role",
        "counsellor",
        "--noinput",
        stdout=out,
    )
    user = User.objects.get(username="tanaka")
    assert user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_superuser
    assert set(StaffMembership.objects.filter(user=user).values_list("office__code", "role")) == {
        (office_a.code, Role.COUNSELLOR),
        (office_b.code, Role.COUNSELLOR),
    }
    assert "created tanaka" in out.getvalue()


def test_add_staff_updates_role_and_offices_and_keeps_the_password_when_none_is_given(
    staff_env, office_a, office_b, monkeypatch
):
    add_staff("tanaka", Role.COUNSELLOR, office_a, office_b)
    monkeypatch.delenv("MADOGUCHI_STAFF_PASSWORD")
    call_command(
        "add_staff",
        "tanaka",
        "--office",
        office_a.code,
        "--role",
        "office_admin",
        "--noinput",
        stdout=io.StringIO(),
    )
    user = User.objects.get(username="tanaka")
    assert user.check_password(PASSWORD)
    assert user.is_staff  # office administrators configure their office in the admin
    assert list(user.memberships.values_list("office__code", "role")) == [(office_a.code, Role.OFFICE_ADMIN)]
    assert user.groups.filter(name="office administrators").exists()


def test_add_staff_refuses_a_weak_password(office_a, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_STAFF_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="password was refused"):
        call_command("add_staff", "tanaka", "--office", office_a.code, "--role", "counsellor", "--noinput")
    assert not User.objects.filter(username="tanaka").exists()


def test_add_staff_refuses_an_unknown_office_or_role(staff_env, office_a):
    with pytest.raises(CommandError, match="no such office: nowhere"):
        call_command("add_staff", "tanaka", "--office", "nowhere", "--role", "counsellor", "--noinput")
    with pytest.raises(CommandError):
        call_command("add_staff", "tanaka", "--office", office_a.code, "--role", "boss", "--noinput")


def test_a_new_account_needs_a_password(office_a, monkeypatch):
    monkeypatch.delenv("MADOGUCHI_STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="needs a password"):
        call_command("add_staff", "tanaka", "--office", office_a.code, "--role", "counsellor", "--noinput")


@pytest.fixture
def no_throttle(settings):
    # django-otp makes a device wait after a wrong code; these tests retry at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_an_office_admin_sets_up_the_second_factor_before_any_personal_data(
    client, office_admin, no_throttle
):
    client.post("/staff/login/", {"username": "kanri", "password": PASSWORD})
    response = client.get("/staff/fukuoka-plaza/day/2026-12-01/")
    assert response["Location"] == "/staff/otp/setup/"
    page = client.get("/staff/otp/setup/")
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "<svg" in html and "otpauth" not in html  # the secret only inside the QR code and as a key
    device = TOTPDevice.objects.get(user=office_admin, confirmed=False)
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)[1].replace(" ", "")
    assert key == device.config_url.split("secret=")[1].split("&")[0]

    assert client.post("/staff/otp/setup/", {"token": "000000"}).status_code == 200
    assert client.post("/staff/otp/setup/", {"token": current_token(device)})["Location"] == "/staff/"
    assert client.get("/staff/fukuoka-plaza/day/2026-12-01/").status_code == 200


def test_next_time_the_second_factor_is_asked_after_the_password(client, office_admin, no_throttle):
    device = TOTPDevice.objects.create(user=office_admin, name="phone", confirmed=True)
    client.post("/staff/login/", {"username": "kanri", "password": PASSWORD})
    day = "/staff/fukuoka-plaza/day/2026-12-01/"
    assert client.get(day)["Location"].startswith("/staff/otp/verify/")
    wrong = client.post("/staff/otp/verify/", {"token": "000000", "next": day})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()
    ok = client.post("/staff/otp/verify/", {"token": current_token(device), "next": day})
    assert ok["Location"] == day
    assert client.get(day).status_code == 200


def test_a_counsellor_may_opt_in_and_is_then_asked_too(client, counsellor):
    client.post("/staff/login/", {"username": "soudan", "password": PASSWORD})
    day = "/staff/fukuoka-plaza/day/2026-12-01/"
    assert client.get(day).status_code == 200
    TOTPDevice.objects.create(user=counsellor, name="phone", confirmed=True)
    client.post("/staff/logout/")
    client.post("/staff/login/", {"username": "soudan", "password": PASSWORD})
    assert client.get(day)["Location"].startswith("/staff/otp/verify/")


def test_logout_and_password_change(client, counsellor):
    client.post("/staff/login/", {"username": "soudan", "password": PASSWORD})
    response = client.post(
        "/staff/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pass-phrase-2027",
            "new_password2": "a-new-pass-phrase-2027",
        },
    )
    assert response["Location"] == "/staff/password/done/"
    counsellor.refresh_from_db()
    assert counsellor.check_password("a-new-pass-phrase-2027")
    assert client.post("/staff/logout/")["Location"] == "/staff/login/"
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
