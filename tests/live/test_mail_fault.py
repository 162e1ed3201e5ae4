"""Mail survives an SMTP outage and a crash of the server: it arrives late, and exactly once (§6, R5/R6)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.live.mailflow import (
    OFFICE_FILE,
    Client,
    book,
    first_slot_after,
    isolated_redis,
    only_link,
    remaining,
    start,
    token_of,
    unique_email,
    wait_for_log,
)
from tests.live.smtp import MailSink, Received
from tests.live_server import LiveServer, make_live_server

pytestmark = pytest.mark.live

# The first retry is 10 s after the failed attempt (bookings.outbox.RETRY_DELAYS).
FIRST_RETRY_BOUND = 40.0


@pytest.fixture
def sink() -> Iterator[MailSink]:
    """An SMTP server that is down until the test starts it."""
    with MailSink() as sink:
        yield sink


@pytest.fixture
def server(tmp_path: Path, sink: MailSink) -> Iterator[LiveServer]:
    with isolated_redis() as redis_env:
        server = make_live_server(tmp_path, offices_toml=OFFICE_FILE, extra_env={**sink.env, **redis_env})
        try:
            start(server)
            yield server
        finally:
            server.close()


def is_mail(to: str, subject: str) -> Callable[[Received], bool]:
    return lambda m: to in m.rcpt_tos and subject in m.subject


def book_while_smtp_is_down(server: LiveServer, sink: MailSink) -> tuple[Client, dict[str, str], str]:
    assert not sink.running
    client = Client(server.url)
    slot = first_slot_after(client)
    email = unique_email()
    book(client, start=slot["start"], email=email)
    # The first attempt fails and is left for a retry; the booking stands (R5 holds its seat).
    wait_for_log(server, "(confirm_request) attempt 1 failed", timeout=10)
    assert remaining(client, slot["start"]) == slot["remaining"] - 1
    assert sink.messages == []
    return client, slot, email


def assert_each_mail_once(sink: MailSink, expected: int) -> None:
    messages = sink.messages
    by_id = Counter(m.message_id for m in messages)
    by_kind = Counter((m.rcpt_tos, m.subject) for m in messages)
    assert len(messages) == expected, [m.subject for m in messages]
    assert all(n == 1 for n in by_id.values()), by_id
    assert all(n == 1 for n in by_kind.values()), by_kind


def receive_late(sink: MailSink, *, email: str, since: float) -> Received:
    mail = sink.wait_for(
        is_mail(email, "要確認"), timeout=FIRST_RETRY_BOUND, what="confirmation request after the outage"
    )
    print(f"confirmation request {mail.arrived - since:.1f}s after SMTP came back")
    return mail


def test_it_sends_the_held_mail_once_smtp_is_back(server: LiveServer, sink: MailSink) -> None:
    client, _slot, email = book_while_smtp_is_down(server, sink)

    back_at = time.monotonic()
    sink.start()
    request = receive_late(sink, email=email, since=back_at)

    token = token_of(only_link(request, server.env["MADOGUCHI_BASE_URL"], "confirm"))
    status, body = client.post_json("/api/v1/bookings/confirm", {"token": token})
    assert status == 200, body
    assert body["status"] == "confirmed"
    confirmed_at = time.monotonic()
    completion = sink.wait_for(is_mail(email, "予約完了"), timeout=10, what="completion mail")
    assert completion.arrived - confirmed_at < 5.0  # SPEC §6, now that SMTP answers

    # The retry and the periodic sweep both look at the held mail: still once each.
    time.sleep(5)
    assert_each_mail_once(sink, 2)


def kill_tree(pid: int) -> None:
    """SIGKILL the server's whole process group (serve, gunicorn master and workers, huey): a crash."""
    os.killpg(os.getpgid(pid), signal.SIGKILL)


def test_it_loses_no_mail_when_the_server_crashes_before_sending(server: LiveServer, sink: MailSink) -> None:
    _client, _slot, email = book_while_smtp_is_down(server, sink)

    assert server.process is not None
    kill_tree(server.process.pid)
    server.process.wait()
    server.stop()

    sink.start()
    back_at = time.monotonic()
    start(server)
    receive_late(sink, email=email, since=back_at)

    time.sleep(5)
    assert_each_mail_once(sink, 1)
