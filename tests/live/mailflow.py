"""Helpers for the live mail tests: a cookie-keeping HTTP client, booking, links in mail.

The office file `every-day.toml` has slots every day, so these tests run on
any day of the year.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import redis

from tests.live.smtp import Received

OFFICE_FILE = Path(__file__).resolve().parent / "every-day.toml"
OFFICE = "every-day"
MEETING_LINK = re.compile(r"https://meet\.example\.org/room/[A-Za-z0-9_-]+")
URL = re.compile(r"https?://[^\s\"'<>]+")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Client:
    """A tiny browser: keeps cookies, follows redirects, never raises on 4xx/5xx."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(
        self, method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        if url.startswith("/"):
            url = self.base_url + url
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, url: str) -> tuple[int, str]:
        return self.request("GET", url)

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            "POST", url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    def get_json(self, url: str) -> tuple[int, Any]:
        status, text = self.request("GET", url, headers={"Accept": "application/json"})
        return status, json.loads(text)

    def post_json(self, url: str, payload: dict[str, Any]) -> tuple[int, Any]:
        status, text = self.request(
            "POST", url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        return status, json.loads(text)


def csrf_token(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def slots(client: Client, office: str = OFFICE) -> dict[str, dict[str, Any]]:
    status, body = client.get_json(f"/api/v1/offices/{office}/slots")
    assert status == 200, body
    return {s["start"]: s for s in body["slots"]}


def first_slot_after(client: Client, *, days: float = 2, office: str = OFFICE) -> dict[str, Any]:
    """The first free slot that starts more than `days` ahead: cancellable by link (R7)."""
    after = datetime.now().astimezone() + timedelta(days=days)
    for slot in slots(client, office).values():
        if datetime.fromisoformat(slot["start"]) > after and slot["remaining"] > 0:
            return slot
    raise AssertionError(f"no free slot more than {days} days ahead at {office}")


def remaining(client: Client, start: str) -> int:
    return int(slots(client)[start]["remaining"])


def book(client: Client, *, start: str, email: str, office: str = OFFICE) -> dict[str, Any]:
    status, body = client.post_json(
        "/api/v1/bookings",
        {
            "office": office,
            "start": start,
            "name": "山田 太郎",
            "email": email,
            "phone": "090-1234-5678",
            "agree_terms": True,
        },
    )
    assert status == 201, body
    assert body["status"] == "pending"
    return dict(body)


def unique_email() -> str:
    return f"taro.{os.urandom(4).hex()}@example.jp"


def links(text: str) -> set[str]:
    return {html.unescape(u).rstrip(".,)") for u in URL.findall(text)}


def booking_links(mail: Received, base_url: str) -> tuple[set[str], set[str]]:
    """The distinct links into the site's /b/ pages, in the text and in the HTML part."""
    prefix = f"{base_url}/b/"
    text = {u for u in links(mail.body("plain")) if u.startswith(prefix)}
    page = {u for u in links(mail.body("html")) if u.startswith(prefix)}
    return text, page


def only_link(mail: Received, base_url: str, kind: str) -> str:
    """SPEC §5: exactly one distinct link {base}/b/{kind}/{token}, the same in both parts."""
    text, page = booking_links(mail, base_url)
    assert text == page, (text, page)
    assert len(text) == 1, text
    (link,) = text
    assert re.fullmatch(re.escape(f"{base_url}/b/{kind}/") + r"[A-Za-z0-9_-]{32,}", link), link
    return link


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def start(server: Any) -> None:
    server.start(worker=True)


def wait_for_log(server: Any, needle: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in full_log(server):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{needle!r} not in the server log within {timeout}s: {server.log()}")
        time.sleep(0.1)


def full_log(server: Any) -> str:
    path: Path = server.log_path
    return path.read_text(errors="replace") if path.exists() else ""


CLAIM_KEY = "madoguchi-live-test:claimed"


@contextmanager
def isolated_redis() -> Iterator[dict[str, str]]:
    """The server env for a Redis database of its own, when the suite runs with REDIS_URL.

    The huey queue name is fixed ("madoguchi"), so two servers on one Redis
    database would take each other's tasks: each live server gets an empty
    database (1–15), claimed with a marker key and flushed afterwards.
    """
    base = os.environ.get("REDIS_URL", "")
    if not base:
        yield {}
        return
    parts = urllib.parse.urlsplit(base)
    for db in random.sample(range(1, 16), 15):
        url = urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0 and client.set(CLAIM_KEY, "1", nx=True, ex=3600):
            break
        client.close()
    else:
        raise AssertionError("no empty Redis database 1–15 left for a live test")
    try:
        yield {"REDIS_URL": url}
    finally:
        client.flushdb()
        client.close()
