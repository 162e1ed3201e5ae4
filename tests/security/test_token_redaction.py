"""Tokens reached by a percent-encoded path stay out of every log line and access record
(SPEC §5, R10): the server decodes before routing, so the redaction decodes before matching."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from console.models import AccessRecord
from madoguchi.access_records import stored_path
from madoguchi.logging import redact
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def every_log_line() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def spelt(text: str) -> str:
    return "".join(f"%{ord(ch):02x}" for ch in text)


def variants(kind: str, token: str) -> list[str]:
    head = f"%{ord(kind[0]):02X}{kind[1:]}"  # /b/%63onfirm/, /b/%63ancel/
    return [
        f"/b/{head}/{token}",
        f"/b/{kind}/{spelt(token)}",
        f"/b/{spelt(kind)}/{spelt(token)}",
        f"/b%2f{kind}%2F{token}",  # not a route (404), but still a line in the log
        f"/b/{kind}/{token[:5]}{spelt(token[5:9])}{token[9:]}",
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_encoded_link_paths_leave_no_token_anywhere(client, fukuoka, clock, every_log_line, method):
    pending = hold(fukuoka, NOW.replace(hour=17, minute=15), now=NOW)
    done = confirmed(
        fukuoka,
        NOW.replace(day=3, hour=17, minute=15),
        now=NOW,
        email="hanako@example.jp",
        phone="090-8765-4321",
    )
    tokens = {"confirm": confirm_token(pending), "cancel": cancel_token(done), "unknown": "u" * 43}
    access_lines = []  # as gunicorn writes them: the raw path, before any decoding
    for kind, token in tokens.items():
        for path in variants("confirm" if kind == "unknown" else kind, token):
            response = getattr(client, method)(path)
            assert response.status_code < 500, path
            access_lines.append(f'"{method.upper()} {path} HTTP/1.1" {response.status_code}')
    # Through logging, as gunicorn's access log does: the record factory redacts each line.
    access_log = logging.getLogger("gunicorn.access")
    for line in access_lines:
        access_log.info("%s", line)
    redacted = [line for line in every_log_line.lines if line.startswith('"')]
    assert len(redacted) == len(access_lines)
    assert all("[redacted]" in line for line in redacted)
    stored = " ".join(f"{r.path} {r.user_agent}" for r in AccessRecord.objects.all())
    assert AccessRecord.objects.count() == 15
    for token in tokens.values():
        for text in (*every_log_line.lines, *redacted, stored):
            assert token not in text
            assert spelt(token) not in text.lower()
            assert token[9:] not in text


@pytest.mark.parametrize(
    "line",
    [
        "GET /b/%63onfirm/SECRETtoken1234567890abcdef HTTP/1.1",
        "GET /b/%2563onfirm/SECRETtoken1234567890abcdef HTTP/1.1",
        "GET /b/c%61ncel/SECRETtoken1234567890abcdef?x=1 HTTP/1.1",
        "GET /b/cancel/%53ECRETtoken1234567890abcdef HTTP/1.1",
        "GET /b%2Fconfirm%2FSECRETtoken1234567890abcdef HTTP/1.1",
        "Referer: https://madoguchi.example/b/confirm/SECRETtoken1234567890abcdef",
    ],
)
def test_redaction_decodes_before_matching(line):
    assert "SECRET" not in redact(line)
    assert "ECRETtoken" not in redact(line)
    assert "SECRET" not in stored_path(line.split(" ")[1] if line.startswith("GET") else line)
