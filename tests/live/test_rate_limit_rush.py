"""Slot hoarding against a real server with the public rate limits on (madoguchi/ratelimits.py).

Sixty booking requests from one address arrive at once, each for another person and another
slot. Whatever the timing, across gunicorn's processes and threads: no 5xx, every refusal a 429
`rate_limited` with `Retry-After`, no more accepted than the per-address limit, and no more
seats held than the cap on pending holds per address. Once on the embedded default (counters in
a SQLite file under the server's var/) and once on Redis; on SQLite or PostgreSQL as the suite's
DATABASE_URL says.
"""

from __future__ import annotations

import http.client
import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from madoguchi import ratelimits
from tests.live.crowd import post_at_once
from tests.live.mailflow import isolated_redis
from tests.live_server import LiveServer, make_live_server

pytestmark = pytest.mark.live

OFFICE_FILE = Path(__file__).with_name("capacity-two.toml")
OFFICE = "race-two"
CLIENTS = 60
MARGIN = timedelta(minutes=10)


@contextmanager
def counter_store(kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    if kind == "embedded":
        # Even when the suite runs with REDIS_URL: the embedded store, in the server's var/.
        yield {"REDIS_URL": ""}
        return
    # Redis is always there in CI; a database of its own for this server.
    monkeypatch.setenv("REDIS_URL", os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4")
    with isolated_redis() as env:
        yield env


@pytest.fixture(params=["embedded", "redis"])
def server(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    with counter_store(request.param, monkeypatch) as store_env:
        # MADOGUCHI_RATE_LIMITS unset: the limits are on, as on a default install.
        live = make_live_server(tmp_path, offices_toml=OFFICE_FILE, extra_env=store_env)
        live.env.pop("MADOGUCHI_RATE_LIMITS")
        try:
            live.start(worker=False)
            yield live
        finally:
            live.close()


def get(server: LiveServer, path: str) -> Any:
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def open_slots(server: LiveServer) -> list[dict[str, Any]]:
    soon = datetime.now().astimezone() + MARGIN
    slots = get(server, f"/api/v1/offices/{OFFICE}/slots")["slots"]
    return [s for s in slots if datetime.fromisoformat(s["start"]) > soon]


def rush(
    server: LiveServer, starts: list[str], *, agree: bool = True
) -> list[tuple[int, dict[str, str], Any]]:
    posts = [
        (
            server.url,
            "/api/v1/bookings",
            {
                "office": OFFICE,
                "start": starts[i],
                "name": f"買占 太郎{i}",
                "email": f"hoarder{i}@example.jp",
                "phone": f"090-3{i // 10000:03d}-{i % 10000:04d}",
                "agree_terms": agree,
            },
        )
        for i in range(CLIENTS)
    ]
    return [(a.status, a.headers, a.body) for a in post_at_once(posts)]


def test_sixty_posts_from_one_address_end_in_429s_with_retry_after(server: LiveServer) -> None:
    slots = [s for s in open_slots(server) if s["remaining"] == s["capacity"]]
    assert len(slots) >= CLIENTS, "not enough open slots in the horizon"
    answers = rush(server, [s["start"] for s in slots[:CLIENTS]])

    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {201, 429}, (statuses, answers, server.log())
    assert statuses[429] >= CLIENTS - ratelimits.BOOK.limit, statuses
    for status, headers, body in answers:
        if status == 429:
            assert body["error"]["code"] == "rate_limited", body
            assert int(headers["retry-after"]) >= 1, headers
    # The cap on pending holds per address, counted in the bookings table.
    assert statuses[201] == ratelimits.PENDING_HOLDS_PER_ADDRESS, statuses
    held = sum(s["capacity"] - s["remaining"] for s in open_slots(server))
    assert held == ratelimits.PENDING_HOLDS_PER_ADDRESS
    assert "Traceback" not in server.log()


def test_the_address_counter_counts_every_one_of_sixty_posts_at_once(server: LiveServer) -> None:
    # Sixty posts that all fail validation take no seat and mail nobody, so neither the hold cap
    # nor the recipient limit decides: only the per-address counter, shared by gunicorn's
    # processes and threads. Counted exactly, it lets exactly its limit through (a counter that
    # loses concurrent hits, as the file cache did, lets more through).
    start = open_slots(server)[0]["start"]
    answers = rush(server, [start] * CLIENTS, agree=False)
    statuses = Counter(status for status, _, _ in answers)
    assert statuses == {422: ratelimits.BOOK.limit, 429: CLIENTS - ratelimits.BOOK.limit}, statuses
    assert all(body["error"]["code"] == "invalid" for status, _, body in answers if status == 422)
    assert all(int(headers["retry-after"]) >= 1 for status, headers, _ in answers if status == 429)
