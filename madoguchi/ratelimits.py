"""Public rate limits: fixed-window counters that count every hit exactly, under any crowd.

Each limit is a rule (a name, how many hits, per how many seconds) counted per bucket: a
client address, or a person's normalised email. A hit increments the counter of the current
window in one atomic step, so sixty simultaneous requests count sixty:

- embedded default (no REDIS_URL): a small SQLite file under MADOGUCHI_VAR_DIR, one
  `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement per hit. It is kept apart from the
  main database so that counting never waits behind a booking's write lock;
- with REDIS_URL: INCR and EXPIRE in one Lua script, shared by every app node.

Buckets are stored as keyed hashes (SECRET_KEY), so the store holds no address or email.
`MADOGUCHI_RATE_LIMITS=off` turns every public limit off; the staff login lockout is
django-axes' business and stays on.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import random
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import redis
from django.conf import settings
from django.http import HttpRequest

from bookings.errors import RateLimited
from madoguchi.clientip import client_ip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds


# Every booking POST from one address, the form and the API together, valid or not. Many
# phones share one IPv4 address behind a carrier's NAT, so this is generous for people and
# still far below what a bot needs: the hold cap below is what stops hoarding.
BOOK = Rule("book", 30, 60 * 60)
# Booking requests that passed validation, per recipient: nobody can have the confirmation
# mail sent to one address over and over. A typo does not count (it never reaches here).
RECIPIENT = Rule("recipient", 5, 60 * 60)
# Confirm and cancel, each its own bucket per address (form and API together).
CONFIRM = Rule("confirm", 60, 10 * 60)
CANCEL = Rule("cancel", 60, 10 * 60)
# Slot hoarding: un-expired pending holds created from one address (/64) at a time,
# counted in the bookings table (bookings.services.check_pending_holds).
PENDING_HOLDS_PER_ADDRESS = 5


def enabled() -> bool:
    return bool(settings.MADOGUCHI_RATE_LIMITS)


def address_bucket(address: str) -> str:
    """IPv4 per address (/32); IPv6 per /64, the block one subscriber usually gets."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def keyed(kind: str, value: str) -> str:
    """A keyed hash of a bucket: equal inputs match, but the address or email cannot be read back."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"madoguchi:{kind}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def origin_of(request: HttpRequest) -> str:
    """What a booking stores about where it came from: the keyed hash of its address bucket."""
    return keyed("origin", address_bucket(client_ip(request)))


class Store(Protocol):
    def incr(self, key: str, *, window_end: float, now: float) -> int: ...
    def decr(self, key: str) -> None: ...


class SqliteStore:
    """Counters in a SQLite file; each increment is one atomic statement."""

    PURGE_ONE_IN = 200

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, until REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        # Counters need not survive a power cut; they only must not lose a concurrent hit.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def incr(self, key: str, *, window_end: float, now: float) -> int:
        conn = self._conn()
        (count,) = conn.execute(
            "INSERT INTO hits (key, count, until) VALUES (?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count",
            (key, window_end),
        ).fetchone()
        if random.randrange(self.PURGE_ONE_IN) == 0:
            conn.execute("DELETE FROM hits WHERE until <= ?", (now,))
        return int(count)

    def decr(self, key: str) -> None:
        self._conn().execute("UPDATE hits SET count = count - 1 WHERE key = ? AND count > 0", (key,))


class RedisStore:
    """Counters in Redis: INCR and the expiry set together by one script, atomically."""

    SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._incr = self.client.register_script(self.SCRIPT)
        self._decr = self.client.register_script(self.DECR)

    DECR = """
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  redis.call('DECR', KEYS[1])
end
"""

    def decr(self, key: str) -> None:
        self._decr(keys=[self.prefix + key])

    def incr(self, key: str, *, window_end: float, now: float) -> int:
        # The key names its window, so the expiry only tidies up; +1 s covers clock skew.
        ttl = max(1, math.ceil(window_end - now)) + 1
        return int(self._incr(keys=[self.prefix + key], args=[ttl]))


_stores: dict[tuple[str, ...], Store] = {}
_stores_lock = threading.Lock()


def store() -> Store:
    """The store for the current settings (tests switch between them)."""
    if settings.REDIS_URL:
        ident: tuple[str, ...] = ("redis", settings.REDIS_URL, settings.MADOGUCHI_RATE_LIMIT_PREFIX)
    else:
        ident = ("sqlite", str(settings.MADOGUCHI_RATE_LIMIT_FILE))
    with _stores_lock:
        found = _stores.get(ident)
        if found is None:
            if ident[0] == "redis":
                found = RedisStore(ident[1], ident[2])
            else:
                found = SqliteStore(Path(ident[1]))
            _stores[ident] = found
    return found


def _window(rule: Rule, bucket: str, now: datetime) -> tuple[str, float]:
    """The counter's key for `now`'s window (the key names its window) and the window's end."""
    window = int(now.timestamp() // rule.window)
    return f"{rule.name}:{keyed(rule.name, bucket)}:{window}", float((window + 1) * rule.window)


def hit(rule: Rule, bucket: str, *, now: datetime) -> None:
    """Count one hit in the rule's current window; RateLimited once it is over the limit."""
    if not enabled():
        return
    moment = now.timestamp()
    key, window_end = _window(rule, bucket, now)
    try:
        count = store().incr(key, window_end=window_end, now=moment)
    except (redis.RedisError, sqlite3.Error):
        # A counter store that is down must not take the site down with it: let the request
        # through (the cap on pending holds, counted in the database, still holds) and say so.
        log.exception("rate limit %s could not be counted", rule.name)
        return
    if count > rule.limit:
        raise RateLimited(retry_after=max(1, math.ceil(window_end - moment)))


def hit_address(rule: Rule, request: HttpRequest, *, now: datetime) -> None:
    hit(rule, address_bucket(client_ip(request)), now=now)


def hit_recipient(email_key: str, *, now: datetime) -> None:
    hit(RECIPIENT, email_key, now=now)


def refund_recipient(email_key: str, *, now: datetime) -> None:
    """Take back the hit of `now` for a request that sent no mail after all (a full slot).

    In a rush a person may find five slots full in a row; that must not lock them out of
    booking for an hour. The counter never goes below zero.
    """
    if not enabled():
        return
    key, _ = _window(RECIPIENT, email_key, now)
    try:
        store().decr(key)
    except (redis.RedisError, sqlite3.Error):
        log.exception("rate limit %s could not be refunded", RECIPIENT.name)


def pending_cap() -> int | None:
    return PENDING_HOLDS_PER_ADDRESS if enabled() else None
