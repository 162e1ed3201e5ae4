"""The rate-limit counters count exactly, under threads, on the embedded store and on Redis."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis

from bookings.errors import RateLimited
from madoguchi import ratelimits
from madoguchi.ratelimits import RedisStore, SqliteStore, address_bucket

THREADS = 60
# Redis is always there in CI; the suite's REDIS_URL when set, else the local default.
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"


def together(work: Callable[[int], object]) -> list[object]:
    """Run work(i) on THREADS threads released at the same instant."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def redis_store():
    prefix = f"madoguchi-test-{uuid.uuid4().hex}:"
    store = RedisStore(REDIS_URL, prefix)
    yield store
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_sixty_concurrent_increments_count_sixty_on_the_embedded_store(tmp_path):
    store = SqliteStore(tmp_path / "ratelimits.sqlite3")
    counts = together(lambda i: store.incr("k", window_end=2e9, now=1e9))
    assert sorted(counts) == list(range(1, THREADS + 1))  # type: ignore[type-var]


def test_sixty_concurrent_increments_count_sixty_on_redis(redis_store):
    counts = together(lambda i: redis_store.incr("k", window_end=1e9 + 60, now=1e9))
    assert sorted(counts) == list(range(1, THREADS + 1))  # type: ignore[type-var]


def test_redis_counters_expire_with_their_window(redis_store):
    redis_store.incr("w", window_end=1e9 + 30, now=1e9)
    ttl = redis_store.client.ttl(redis_store.prefix + "w")
    assert 0 < ttl <= 31


@pytest.fixture(params=["embedded", "redis"])
def limits_on(request, settings, tmp_path, redis_store):
    """The limits on, counted in the embedded store or in Redis."""
    settings.MADOGUCHI_RATE_LIMITS = True
    settings.MADOGUCHI_RATE_LIMIT_FILE = tmp_path / "ratelimits.sqlite3"
    settings.REDIS_URL = REDIS_URL if request.param == "redis" else ""
    settings.MADOGUCHI_RATE_LIMIT_PREFIX = redis_store.prefix


def test_exactly_the_hits_over_the_limit_are_refused(limits_on):
    rule = ratelimits.Rule("test", 50, 600)
    now = datetime(2026, 11, 26, 1, 5, tzinfo=UTC)  # 5 minutes into a 10-minute window
    results = together(lambda i: ratelimits.hit(rule, "198.51.100.7", now=now))
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert results.count(None) == 50
    assert len(refused) == THREADS - 50
    assert {r.retry_after for r in refused} == {300}


def test_a_refund_takes_back_one_hit_and_never_goes_below_zero(limits_on):
    now = datetime(2026, 11, 26, 1, 5, tzinfo=UTC)
    for _ in range(3):
        ratelimits.refund_recipient("nobody@example.jp", now=now)  # nothing to take back
    for _ in range(ratelimits.RECIPIENT.limit):
        ratelimits.hit_recipient("a@example.jp", now=now)
    ratelimits.refund_recipient("a@example.jp", now=now)
    ratelimits.hit_recipient("a@example.jp", now=now)  # the refunded one, again
    with pytest.raises(RateLimited):
        ratelimits.hit_recipient("a@example.jp", now=now)
    for _ in range(ratelimits.RECIPIENT.limit):
        ratelimits.hit_recipient("nobody@example.jp", now=now)
    with pytest.raises(RateLimited):
        ratelimits.hit_recipient("nobody@example.jp", now=now)


def test_a_new_window_starts_a_new_count(settings, tmp_path):
    settings.MADOGUCHI_RATE_LIMITS = True
    settings.REDIS_URL = ""
    settings.MADOGUCHI_RATE_LIMIT_FILE = tmp_path / "ratelimits.sqlite3"
    rule = ratelimits.Rule("test", 1, 60)
    ratelimits.hit(rule, "a", now=datetime(2026, 11, 26, 1, 0, 59, tzinfo=UTC))
    with pytest.raises(RateLimited) as caught:
        ratelimits.hit(rule, "a", now=datetime(2026, 11, 26, 1, 0, 59, tzinfo=UTC))
    assert caught.value.retry_after == 1
    ratelimits.hit(rule, "a", now=datetime(2026, 11, 26, 1, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not an address", "not an address"),
    ],
)
def test_it_groups_ipv6_by_64_and_ipv4_by_address(address, bucket):
    assert address_bucket(address) == bucket


def test_the_store_keeps_no_address(settings, tmp_path):
    settings.MADOGUCHI_RATE_LIMITS = True
    settings.REDIS_URL = ""
    settings.MADOGUCHI_RATE_LIMIT_FILE = path = tmp_path / "ratelimits.sqlite3"
    ratelimits.hit(ratelimits.BOOK, "198.51.100.7", now=datetime(2026, 11, 26, tzinfo=UTC))
    assert b"198.51.100.7" not in path.read_bytes()
    assert not any(b"198.51.100.7" in p.read_bytes() for p in tmp_path.iterdir() if p.is_file())


def test_a_store_that_is_down_lets_requests_through(settings, caplog):
    settings.MADOGUCHI_RATE_LIMITS = True
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    rule = ratelimits.Rule("test", 1, 60)
    for _ in range(3):
        ratelimits.hit(rule, "a", now=datetime(2026, 11, 26, tzinfo=UTC))
    assert "could not be counted" in caplog.text
