"""Production settings (SPEC §3): HTTPS unless MADOGUCHI_PLAIN_HTTP, `check --deploy` clean given
only SECRET_KEY, ALLOWED_HOSTS and EMAIL_HOST, and no start without a mail relay."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "redirect": s.SECURE_SSL_REDIRECT, "hsts": s.SECURE_HSTS_SECONDS,
    "subdomains": s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "session_secure": s.SESSION_COOKIE_SECURE,
    "csrf_secure": s.CSRF_COOKIE_SECURE, "proxy_header": s.SECURE_PROXY_SSL_HEADER,
    "csrf_origins": s.CSRF_TRUSTED_ORIGINS,
}))
"""


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Only what SPEC §3 asks an operator for, in a var/ of its own; nothing from this shell."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "MADOGUCHI_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "yoyaku.example.jp",
        "EMAIL_HOST": "smtp.example.jp",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


def manage(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_under(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_check_deploy_is_clean_given_only_key_hosts_and_mail_relay(tmp_path):
    done = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_fails_without_a_mail_relay(tmp_path):
    done = manage(production_env(tmp_path, EMAIL_HOST=""), "check", "--deploy")
    assert done.returncode != 0
    assert "madoguchi.E201" in done.stderr
    assert "EMAIL_HOST" in done.stderr


def test_serve_refuses_to_start_without_a_mail_relay(tmp_path):
    port = 18500 + os.getpid() % 100
    done = manage(production_env(tmp_path, EMAIL_HOST=""), "serve", "--bind", f"127.0.0.1:{port}", timeout=30)
    assert done.returncode == 1
    assert "madoguchi.E201" in done.stderr
    assert "EMAIL_HOST is not set while DEBUG is off" in done.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # no server came up


def test_debug_may_keep_mail_in_the_dev_mailbox(tmp_path):
    done = manage(production_env(tmp_path, EMAIL_HOST="", DEBUG="1"), "check", "--deploy")
    assert "madoguchi.E201" not in done.stdout + done.stderr


def test_production_is_https_by_default(tmp_path):
    found = settings_under(production_env(tmp_path, MADOGUCHI_BASE_URL="https://yoyaku.example.jp/"))
    assert found["redirect"] is True
    assert isinstance(found["hsts"], int) and found["hsts"] >= 365 * 24 * 60 * 60
    assert found["subdomains"] is True
    assert found["session_secure"] is True and found["csrf_secure"] is True
    assert found["proxy_header"] is None  # no proxy named: X-Forwarded-Proto means nothing
    assert found["csrf_origins"] == ["https://yoyaku.example.jp"]


def test_plain_http_turns_https_off(tmp_path):
    found = settings_under(production_env(tmp_path, MADOGUCHI_PLAIN_HTTP="1"))
    assert found["redirect"] is False
    assert found["hsts"] == 0
    assert found["session_secure"] is False and found["csrf_secure"] is False


def test_the_proxy_header_is_set_only_with_trusted_proxies(tmp_path):
    found = settings_under(production_env(tmp_path, MADOGUCHI_TRUSTED_PROXIES="10.0.0.2"))
    assert found["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


# --- behind a TLS proxy, in process ------------------------------------------------------------


@pytest.fixture
def behind_proxy(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.MADOGUCHI_TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    settings.ALLOWED_HOSTS = ["yoyaku.example.jp"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://yoyaku.example.jp"]
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = True


def test_https_through_the_trusted_proxy_is_served(behind_proxy):
    response = Client(REMOTE_ADDR="10.0.0.2").get(
        "/", HTTP_HOST="yoyaku.example.jp", HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.status_code == 200


def test_a_client_claiming_https_directly_is_redirected(behind_proxy):
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.get("/", HTTP_HOST="yoyaku.example.jp", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"] == "https://yoyaku.example.jp/"


def test_a_form_post_through_the_proxy_passes_csrf(behind_proxy):
    client = Client(REMOTE_ADDR="10.0.0.2", enforce_csrf_checks=True)
    via_proxy = {"HTTP_HOST": "yoyaku.example.jp", "HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get("/staff/login/", **via_proxy)
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/staff/login/",
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://yoyaku.example.jp",
        HTTP_REFERER="https://yoyaku.example.jp/staff/login/",
        **via_proxy,
    )
    assert response.status_code == 200  # the form again, with its error: not a CSRF 403
    forged = client.post(
        "/staff/login/",
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
        **via_proxy,
    )
    assert forged.status_code == 403
