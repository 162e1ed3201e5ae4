"""The sweep of the outbox: fresh claims, bounded, never two at once; permanent refusals end at once.

Issue 9, "mail sent twice": a sweep used to stamp every claim with the time it
began, so a long sweep against a slow relay left claims that already looked
stale; the next delivery took them over and sent the same mail again.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail as django_mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from huey.contrib.djhuey import HUEY

from bookings import outbox
from bookings.models import MailState, OutgoingMail
from bookings.outbox import Result, deliver_due_mail, deliver_mail
from bookings.single_run import only_one
from bookings.tasks import deliver_mail_task, sweep_mail_task
from tests.bookings.factories import hold
from tests.conftest import jst
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
START = jst(2026, 12, 1, 17, 15)
NOW = jst(2026, 11, 26, 10, 0)
SLOW_BACKEND = f"{__name__}.SlowBackend"


class SlowBackend(EmailBackend):
    """The locmem backend with a hook that runs while each message is 'on the wire'."""

    during_send: Callable[[], None] = staticmethod(lambda: None)

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        SlowBackend.during_send()
        return super().send_messages(messages)


@pytest.fixture
def slow_relay(settings) -> Iterator[type[SlowBackend]]:
    settings.EMAIL_BACKEND = SLOW_BACKEND
    yield SlowBackend
    SlowBackend.during_send = staticmethod(lambda: None)


@pytest.fixture
def quiet_queue(monkeypatch):
    """New mail wakes no worker: only the sweeps under test send it."""
    monkeypatch.setattr(outbox, "_on_queued", None)


def queued_mails(office, count: int) -> list[OutgoingMail]:
    bookings = [
        hold(
            office,
            START + timedelta(days=7 * i),
            now=NOW,
            email=f"p{i}@example.jp",
            phone=f"090-1111-{i:04d}",
        )
        for i in range(count)
    ]
    return list(OutgoingMail.objects.filter(booking__in=bookings).order_by("pk"))


def sent_ids() -> list[str]:
    return [m.extra_headers["Message-ID"] for m in django_mail.outbox]


def test_it_claims_each_mail_when_it_gets_to_it_not_when_the_sweep_began(fukuoka, slow_relay, settings):
    """A sweep longer than the lease: the last mail's claim is fresh, so nobody sends it twice."""
    mails = queued_mails(fukuoka, 3)
    lease = timedelta(seconds=settings.MADOGUCHI_MAIL_LEASE_SECONDS)
    per_mail = lease / 2  # three mails take 1.5 leases: a slow relay indeed
    seen: list[tuple[str, Result]] = []

    with time_machine.travel(NOW, tick=False) as clock:

        def crawl() -> None:
            clock.shift(per_mail)
            # Meanwhile the queue hands the mail being sent to another worker.
            sending = OutgoingMail.objects.get(state=MailState.SENDING)
            outcome = deliver_mail(mail_id=sending.pk, now=datetime.now(UTC))
            seen.append((sending.message_id, outcome.result))

        slow_relay.during_send = staticmethod(crawl)
        report = deliver_due_mail(max_seconds=10 * lease.total_seconds())

    assert (report.ran, report.sent, report.cut_short) == (True, 3, False)
    assert sent_ids() == [m.message_id for m in mails]  # each once, none twice
    assert seen == [(m.message_id, Result.NOT_CLAIMED) for m in mails]
    claims = list(OutgoingMail.objects.order_by("pk").values_list("claimed_at", flat=True))
    assert claims == [NOW + i * per_mail for i in range(3)]


def test_it_stops_a_sweep_at_its_time_bound_and_leaves_the_rest_queued(fukuoka, slow_relay):
    mails = queued_mails(fukuoka, 4)
    with time_machine.travel(NOW, tick=False) as clock:
        slow_relay.during_send = staticmethod(lambda: clock.shift(timedelta(seconds=20)))
        report = deliver_due_mail(max_seconds=40)
    assert (report.sent, report.cut_short) == (2, True)
    states = list(OutgoingMail.objects.order_by("pk").values_list("state", flat=True))
    assert states == [MailState.SENT, MailState.SENT, MailState.QUEUED, MailState.QUEUED]
    assert sent_ids() == [m.message_id for m in mails[:2]]


def test_it_stops_a_sweep_at_its_mail_bound(fukuoka):
    queued_mails(fukuoka, 3)
    report = deliver_due_mail(clock=lambda: NOW, max_mails=2)
    assert report.sent == 2
    assert OutgoingMail.objects.filter(state=MailState.QUEUED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_never_runs_two_sweeps_at_once(fukuoka, slow_relay, quiet_queue):
    mails = queued_mails(fukuoka, 2)
    on_the_wire, let_go = threading.Event(), threading.Event()

    def stall() -> None:
        on_the_wire.set()
        assert let_go.wait(timeout=20)

    slow_relay.during_send = staticmethod(stall)
    first: list[outbox.SweepReport] = []

    def sweep() -> None:
        try:
            first.append(deliver_due_mail(clock=lambda: NOW))
        finally:
            connection.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    try:
        assert on_the_wire.wait(timeout=20)
        second = deliver_due_mail(clock=lambda: NOW + timedelta(hours=1))
    finally:
        let_go.set()
        thread.join(timeout=20)
    assert second == outbox.SweepReport(ran=False)
    assert [r.sent for r in first] == [2]
    assert sent_ids() == [m.message_id for m in mails]
    # Once the first is done, the next sweep runs (and finds nothing left).
    assert deliver_due_mail(clock=lambda: NOW + timedelta(hours=1)) == outbox.SweepReport(ran=True)


def test_a_sweep_lock_holds_against_another_process(db, settings):
    """Two worker processes, not just two threads: the lock lives in the database (or beside it)."""
    db_settings = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db_settings['USER']}@{db_settings['HOST']}:{db_settings['PORT']}/{db_settings['NAME']}"
    else:
        url = f"sqlite:///{db_settings['NAME']}"
    probe = (
        "from bookings.single_run import only_one\n"
        "with only_one('outbox-sweep') as mine: print('mine' if mine else 'busy')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(settings.VAR_DIR)}
    env["DJANGO_SETTINGS_MODULE"] = "madoguchi.settings"

    def other_process() -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", probe],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    with only_one("outbox-sweep") as mine:
        assert mine
        assert other_process() == "busy"
    assert other_process() == "mine"


# -- what the relay answers ----------------------------------------------------


class Relay:
    """aiosmtpd answering RCPT or DATA with a chosen reply."""

    def __init__(self, *, rcpt: str = "250 OK", data: str = "250 OK") -> None:
        self.rcpt, self.data = rcpt, data
        self.accepted = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's name
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
        if self.data.startswith("250"):
            self.accepted += 1
        return self.data


@pytest.fixture
def relay(settings):
    made: list[Relay] = []

    def make(**replies: str) -> Relay:
        relay = Relay(**replies)
        relay.controller.start()
        made.append(relay)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", relay.controller.port
        settings.EMAIL_TIMEOUT = 5
        return relay

    yield make
    for relay in made:
        relay.controller.stop()


def attempt_through_the_task(mail: OutgoingMail) -> OutgoingMail:
    HUEY.flush()
    with time_machine.travel(NOW, tick=False):
        deliver_mail_task.call_local(mail.pk)
    mail.refresh_from_db()
    return mail


def booked_retries() -> list[datetime]:
    """The deliveries booked with the queue, other than the check at the end of the lease."""
    lease_check = (NOW + timedelta(minutes=10, seconds=1)).astimezone(UTC).replace(tzinfo=None)
    return [task.eta for task in HUEY.scheduled() if task.eta != lease_check]


@pytest.mark.parametrize(
    "replies",
    [{"rcpt": "550 5.1.1 No such user here"}, {"data": "554 5.7.1 Message refused"}],
    ids=["recipient-550", "data-554"],
)
def test_it_gives_up_at_once_when_the_relay_refuses_for_good(fukuoka, relay, replies):
    relay(**replies)
    mail = attempt_through_the_task(OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW)))
    assert (mail.state, mail.attempts) == (MailState.FAILED, 1)
    assert "55" in mail.last_error
    assert booked_retries() == []
    # Nobody picks it up again, however long we wait.
    assert deliver_due_mail(clock=lambda: NOW + timedelta(days=2)).sent == 0


@pytest.mark.parametrize(
    "replies",
    [{"rcpt": "450 4.2.1 Mailbox busy, try later"}, {"data": "451 4.3.0 Local problem, try later"}],
    ids=["recipient-450", "data-451"],
)
def test_it_retries_with_backoff_when_the_relay_says_try_later(fukuoka, relay, replies):
    refusing = relay(**replies)
    mail = attempt_through_the_task(OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW)))
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 1)
    assert mail.next_attempt_at == NOW + timedelta(seconds=10)
    assert booked_retries() == [mail.next_attempt_at.astimezone(UTC).replace(tzinfo=None)]
    assert refusing.accepted == 0

    refusing.rcpt = refusing.data = "250 OK"  # the relay is well again
    assert deliver_due_mail(clock=lambda: NOW + timedelta(seconds=10)).sent == 1
    assert refusing.accepted == 1


def test_it_retries_when_no_relay_answers_and_the_sweep_stops_there(fukuoka, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    queued_mails(fukuoka, 3)
    report = deliver_due_mail(clock=lambda: NOW)
    # One attempt tells the relay is down; the other two keep their attempts for later.
    assert (report.sent, report.cut_short, len(report.retries)) == (0, True, 1)
    attempts = sorted(OutgoingMail.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]


def test_the_sweep_task_books_the_retries_of_its_failed_attempts(fukuoka, relay):
    relay(rcpt="421 4.7.0 Try again later")
    mail = OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW))
    HUEY.flush()
    with time_machine.travel(NOW, tick=False):
        sweep_mail_task.call_local()
    assert booked_retries() == [(NOW + timedelta(seconds=10)).astimezone(UTC).replace(tzinfo=None)]
    assert [task.args for task in HUEY.scheduled()] == [(mail.pk,), (mail.pk,)]


def test_the_check_at_the_end_of_a_lease_sends_nothing_after_a_good_send(fukuoka):
    mail = OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW))
    HUEY.flush()
    with time_machine.travel(NOW, tick=False):
        deliver_mail_task.call_local(mail.pk)
    [check] = HUEY.scheduled()
    assert len(django_mail.outbox) == 1
    HUEY.flush()
    with time_machine.travel(NOW + timedelta(minutes=10, seconds=1), tick=False):
        deliver_mail_task.call_local(*check.args)
    assert len(django_mail.outbox) == 1
    assert HUEY.scheduled() == []  # and books no further check


def test_the_check_at_the_end_of_a_lease_sends_what_a_dead_worker_left(fukuoka):
    mail = OutgoingMail.objects.get(booking=hold(fukuoka, START, now=NOW))
    OutgoingMail.objects.filter(pk=mail.pk).update(state=MailState.SENDING, claimed_at=NOW)
    with time_machine.travel(NOW + timedelta(minutes=9, seconds=59), tick=False):
        deliver_mail_task.call_local(mail.pk)
    assert django_mail.outbox == []
    with time_machine.travel(NOW + timedelta(minutes=10, seconds=1), tick=False):
        deliver_mail_task.call_local(mail.pk)
    assert sent_ids() == [mail.message_id]


# -- no import cycle ------------------------------------------------------------


PROJECT = ("api", "bookings", "console", "front", "madoguchi", "offices")


def _project_imports_inside_functions(path):
    tree = ast.parse(path.read_text())
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PROJECT:
                yield node.lineno
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in PROJECT for a in node.names):
                yield node.lineno


def test_it_imports_project_modules_at_the_top_only():
    """outbox ↔ tasks ↔ services, selectors ↔ services and the views ↔ access records once
    dodged import cycles with imports inside functions. Only AppConfig.ready() may (Django's
    way to connect signals once the apps are loaded)."""
    modules = [
        path
        for package in PROJECT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "apps.py"
    ]
    assert len(modules) > 40
    inside = {
        str(p.relative_to(ROOT)): lines
        for p in modules
        if (lines := list(_project_imports_inside_functions(p)))
    }
    assert inside == {}
