"""Keep booking tokens out of every log line (SPEC §5)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote

TOKEN_IN_PATH = re.compile(r"(/b/(?:confirm|cancel)/)[^/\s?\"']+")


def redact(text: str) -> str:
    # The server decodes percent-escapes before routing, so /b/%63onfirm/… and
    # /b%2Fconfirm%2F… reach the link pages too: look at the decoded text as well.
    decoded = text
    for _ in range(3):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    if decoded != text and TOKEN_IN_PATH.search(decoded):
        return TOKEN_IN_PATH.sub(r"\1[redacted]", decoded)
    return TOKEN_IN_PATH.sub(r"\1[redacted]", text)


def install_record_factory() -> None:
    """Redact every log record as it is made, whichever logger or handler it meets."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts_tokens", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        RedactTokens().filter(record)
        return record

    redacting_factory.redacts_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, MutableMapping):  # logger.info("%(path)s", {"path": …})
            # In place: gunicorn's access-log atoms are a dict subclass of its own.
            for key, value in record.args.items():
                if isinstance(value, str):
                    record.args[key] = redact(value)
        elif record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class UTCFormatter(logging.Formatter):
    """Every line starts with its time in UTC, ISO 8601 (`2026-12-01T08:15:00.123Z`).

    One zone for every process (app nodes, workers, gunicorn itself), whatever the host's.
    """

    def __init__(self, fmt: str | None = LINE_FORMAT, datefmt: str | None = None, **kwargs: Any) -> None:
        super().__init__(fmt, datefmt, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
