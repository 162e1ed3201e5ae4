"""SECRET_KEY rotation: links mailed under the old key keep working (SECRET_KEY_FALLBACKS)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from bookings.emails import render_mail
from bookings.models import Booking, MailKind, OutgoingMail, Status
from bookings.services import booking_cancel, booking_confirm
from tests.bookings.factories import hold
from tests.conftest import jst

BASE = "https://madoguchi.example.jp"
START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)
K1 = "first-key-" + "1" * 40
K2 = "second-key-" + "2" * 40
K3 = "third-key-" + "3" * 40


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.MADOGUCHI_BASE_URL = BASE
    settings.SECRET_KEY = K1
    settings.SECRET_KEY_FALLBACKS = []


def link_in(booking: Booking, kind: str, purpose: str) -> str:
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=kind))
    found = set(re.findall(rf"{re.escape(BASE)}/b/{purpose}/([A-Za-z0-9_-]+)", message.body))
    assert len(found) == 1, message.body
    return found.pop()


def test_it_accepts_a_confirm_link_minted_under_the_old_key_after_rotation(fukuoka, settings):
    booking = hold(fukuoka, START, now=NOW)
    token = link_in(booking, MailKind.CONFIRM_REQUEST, "confirm")

    settings.SECRET_KEY = K2
    settings.SECRET_KEY_FALLBACKS = [K1]
    assert booking_confirm(token=token, now=NOW).status == Status.CONFIRMED
    # Through the page too, with its CSRF cookie made under the new key.
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/b/confirm/{token}")
    assert page.status_code == 200


def test_it_mails_after_rotation_the_links_whose_hashes_are_stored(fukuoka, settings):
    booking = hold(fukuoka, START, now=NOW)
    before = link_in(booking, MailKind.CONFIRM_REQUEST, "confirm")
    stored = Booking.objects.values_list("confirm_token_hash", "cancel_token_hash").get(pk=booking.pk)

    settings.SECRET_KEY = K2
    settings.SECRET_KEY_FALLBACKS = [K1]
    # The confirmation request delivered (again) after the switch carries the same link.
    assert link_in(booking, MailKind.CONFIRM_REQUEST, "confirm") == before
    booking_confirm(token=before, now=NOW)
    # The completion mail, written under K2, carries a cancel link that works.
    cancel = link_in(booking, MailKind.COMPLETION, "cancel")
    assert booking_cancel(token=cancel, now=NOW).status == Status.CANCELLED
    # Nothing was issued anew: the stored hashes are those made under K1.
    assert Booking.objects.values_list("confirm_token_hash", "cancel_token_hash").get(pk=booking.pk) == stored


def test_it_issues_a_working_link_when_the_old_key_is_gone_from_the_fallbacks(fukuoka, settings):
    booking = hold(fukuoka, START, now=NOW)
    old = link_in(booking, MailKind.CONFIRM_REQUEST, "confirm")

    settings.SECRET_KEY = K3
    settings.SECRET_KEY_FALLBACKS = [K2]  # K1 retired too soon
    new = link_in(booking, MailKind.CONFIRM_REQUEST, "confirm")
    assert new != old
    assert booking_confirm(token=new, now=NOW).status == Status.CONFIRMED


def test_it_keeps_a_staff_session_across_rotation(db, settings):
    user = get_user_model().objects.create_user("counsellor", password="x" * 20)
    client = Client()
    client.force_login(user)
    session_key = client.cookies["sessionid"].value

    def logged_in_user():
        request = RequestFactory().get("/")
        request.session = SessionStore(session_key)
        return get_user(request)

    assert logged_in_user().pk == user.pk
    settings.SECRET_KEY = K2
    settings.SECRET_KEY_FALLBACKS = [K1]
    assert logged_in_user().pk == user.pk
    settings.SECRET_KEY_FALLBACKS = []
    assert logged_in_user().is_anonymous  # without the fallback the old session ends
