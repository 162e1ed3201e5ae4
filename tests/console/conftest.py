"""Named staff for the console tests: office A is Fukuoka (demo), office B another office."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from offices.models import Office
from tests.bookings.factories import second_office

PASSWORD = "madoguchi-staff-2026"


@pytest.fixture
def office_a(fukuoka: Office) -> Office:
    return fukuoka


@pytest.fixture
def office_b(db: None) -> Office:
    return second_office("office-b")


def add_staff(username: str, role: str, *offices: Office) -> User:
    args = [username, "--role", role, "--noinput"]
    for office in offices:
        args += ["--office", office.code]
    call_command("add_staff", *args, stdout=None)
    return User.objects.get(username=username)


@pytest.fixture
def staff_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_STAFF_PASSWORD", PASSWORD)


@pytest.fixture
def counsellor(staff_env: None, office_a: Office) -> User:
    return add_staff("soudan", "counsellor", office_a)


@pytest.fixture
def office_admin(staff_env: None, office_a: Office) -> User:
    return add_staff("kanri", "office_admin", office_a)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.jp", PASSWORD)


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def pass_second_factor(client: Client, user: User) -> None:
    """Pair a TOTP device if there is none, then prove it through the console's own page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    response = client.post("/staff/otp/verify/", {"token": current_token(device)})
    assert response.status_code == 302, response.content.decode()


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    def log_in(user: User, *, verified: bool = False) -> Client:
        client.force_login(user)
        if verified:
            pass_second_factor(client, user)
        return client

    return log_in
