"""A real SMTP server for live tests: aiosmtpd on 127.0.0.1, collecting what arrives.

The port is fixed when the sink is made, so a test can point the server's
EMAIL_PORT at it while nothing listens yet (SMTP down), and start or stop the
sink later on that same port.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.live_server import free_port


@dataclass(frozen=True)
class Received:
    message: EmailMessage
    rcpt_tos: tuple[str, ...]
    arrived: float  # time.monotonic() when the DATA command completed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def body(self, subtype: str) -> str:
        """The text of the `plain` or `html` part."""
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None and part.get_content_subtype() == subtype, f"no text/{subtype} part"
        return str(part.get_content())

    def attachments(self) -> list[EmailMessage]:
        return list(self.message.iter_attachments())  # type: ignore[arg-type]


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.sink._add(Received(message, tuple(envelope.rcpt_tos), time.monotonic()))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class MailSink:
    """Collects every message sent to 127.0.0.1:`port`; `start`/`stop` as often as needed."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def env(self) -> dict[str, str]:
        """The server environment that sends mail here by SMTP."""
        return {"EMAIL_HOST": self.host, "EMAIL_PORT": str(self.port)}

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _add(self, received: Received) -> None:
        with self._lock:
            self._messages.append(received)

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def matching(self, predicate: Callable[[Received], bool]) -> list[Received]:
        return [m for m in self.messages if predicate(m)]

    def wait_for(
        self, predicate: Callable[[Received], bool], *, timeout: float, what: str = "a message"
    ) -> Received:
        """The first message that matches, polling until `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                seen = [(m.rcpt_tos, m.subject) for m in self.messages]
                raise AssertionError(f"no {what} within {timeout}s; received: {seen}")
            time.sleep(0.05)
