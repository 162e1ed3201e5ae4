"""The whole mail journey over real SMTP: book, confirm by the link, cancel by the link (R5–R7, §5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import icalendar
import pytest

from tests.live.mailflow import (
    MEETING_LINK,
    OFFICE_FILE,
    Client,
    book,
    booking_links,
    csrf_token,
    first_slot_after,
    full_log,
    isolated_redis,
    links,
    only_link,
    remaining,
    start,
    token_of,
    unique_email,
)
from tests.live.smtp import MailSink, Received
from tests.live_server import LiveServer, make_live_server

pytestmark = pytest.mark.live

# SPEC §6: mail leaves under 5 s after the change when the SMTP server answers.
MAIL_LATENCY = 5.0


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        sink.start()
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


def wait_mail(sink: MailSink, *, to: str, subject: str, since: float) -> Received:
    mail = sink.wait_for(
        lambda m: to in m.rcpt_tos and subject in m.subject, timeout=10, what=f"{subject} mail to {to}"
    )
    latency = mail.arrived - since
    print(f"{subject}: {latency:.2f}s")
    assert latency < MAIL_LATENCY, f"{subject} took {latency:.2f}s"
    return mail


def assert_no_new_mail(sink: MailSink, count: int, *, wait: float = 2.5) -> None:
    time.sleep(wait)
    assert len(sink.messages) == count, [m.subject for m in sink.messages]


def test_it_books_confirms_and_cancels_by_the_links_in_real_mail(server: LiveServer, sink: MailSink) -> None:
    client = Client(server.url)
    base = server.env["MADOGUCHI_BASE_URL"]
    slot = first_slot_after(client)
    email = unique_email()

    sent_at = time.monotonic()
    book(client, start=slot["start"], email=email)
    assert remaining(client, slot["start"]) == slot["remaining"] - 1  # R5: the hold takes its seat

    # Confirmation request: one confirm link, no meeting link (R13: only after confirmation).
    request = wait_mail(sink, to=email, subject="要確認", since=sent_at)
    assert request.body("plain") and request.body("html")
    confirm_link = only_link(request, base, "confirm")
    assert not MEETING_LINK.search(request.body("plain") + request.body("html"))
    assert "meet.example.org" not in request.body("plain") + request.body("html")

    # §5: opening the link (mail scanners do) shows the booking and a button, and changes nothing.
    browser = Client(server.url)
    for _ in range(2):
        status, page = browser.get(confirm_link)
        assert status == 200
        assert "予約を確定してください" in page
        assert "予約を確定する" in page
        assert "山田 太郎" in page
    assert remaining(client, slot["start"]) == slot["remaining"] - 1
    assert_no_new_mail(sink, 1)

    # The button confirms (R5) and the completion mail follows (R6).
    pressed_at = time.monotonic()
    status, page = browser.post_form(confirm_link, {"csrfmiddlewaretoken": csrf_token(page)})
    assert status == 200, page
    assert "予約が確定しました" in page
    completion = wait_mail(sink, to=email, subject="予約完了", since=pressed_at)
    cancel_link = only_link(completion, base, "cancel")
    text, page_html = completion.body("plain"), completion.body("html")
    meeting = set(MEETING_LINK.findall(text))
    assert len(meeting) == 1, meeting
    assert meeting == set(MEETING_LINK.findall(page_html))
    (meeting_link,) = meeting
    assert len(meeting_link.rsplit("/", 1)[1]) >= 16  # R13: an unguessable room id
    assert "092-111-2222" in text  # R6: the office phone

    (ics,) = [p for p in completion.attachments() if (p.get_filename() or "").endswith(".ics")]
    assert ics.get_content_type() == "text/calendar"
    payload = ics.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = icalendar.Calendar.from_ical(payload)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime.fromisoformat(slot["start"])
    assert event.decoded("DTEND") == datetime.fromisoformat(slot["end"])
    assert str(event.get("URL")) == meeting_link

    # Opening the cancel link changes nothing either; its button cancels (R7, more than a day ahead).
    status, page = browser.get(cancel_link)
    assert status == 200
    assert "予約をキャンセルしますか" in page
    assert "予約をキャンセルする" in page
    assert remaining(client, slot["start"]) == slot["remaining"] - 1
    assert_no_new_mail(sink, 2)

    pressed_at = time.monotonic()
    status, page = browser.post_form(cancel_link, {"csrfmiddlewaretoken": csrf_token(page)})
    assert status == 200, page
    assert "予約をキャンセルしました" in page
    assert remaining(client, slot["start"]) == slot["remaining"]  # the seat is free again
    notice = wait_mail(sink, to=email, subject="キャンセル", since=pressed_at)
    assert booking_links(notice, base) == (set(), set())  # no token in the notice
    assert not any(MEETING_LINK.match(u) for u in links(notice.body("plain")))

    # Every mail once, each with its own Message-ID.
    assert_no_new_mail(sink, 3, wait=1)
    assert len({m.message_id for m in sink.messages}) == 3
    assert all(m.rcpt_tos == (email,) for m in sink.messages)

    # §5: tokens never reach the logs, though the link requests were logged.
    log = full_log(server)
    assert "/b/confirm/" in log and "/b/cancel/" in log
    for token in (token_of(confirm_link), token_of(cancel_link)):
        assert token not in log
