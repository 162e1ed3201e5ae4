"""Keep booking tokens out of every log line (SPEC §5)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

TOKEN_IN_PATH = re.compile(r"(/b/(?:confirm|cancel)/)[^/\s?\"']+")


def redact(text: str) -> str:
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
        if isinstance(record.args, Mapping):  # logger.info("%(path)s", {"path": …})
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class AccessLogger(GunicornLogger):
    """gunicorn's logger with token paths redacted from the access log."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
