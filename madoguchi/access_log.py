"""Gunicorn's logger for madoguchi: one access line per request, in UTC, health probes left out.

The access line is gunicorn's (Django's `django.request` would log 4xx answers a second
time, so settings.LOGGING keeps that logger to 5xx). Token redaction applies: the record
factory installed by settings redacts gunicorn's atoms too.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from madoguchi.logging import UTCFormatter

# Client, request line, status, bytes, duration, referrer, user agent; the time leads the line.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
PROBES = frozenset({"/healthz", "/readyz"})


class Logger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(UTCFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        # A load balancer asks every few seconds; only a failed probe is worth a line.
        status = str(getattr(resp, "status", "") or "").split(" ", 1)[0]
        if environ.get("PATH_INFO") in PROBES and status.startswith(("2", "3")):
            return
        super().access(resp, req, environ, request_time)

    def now(self) -> str:
        # Only used if someone puts %(t)s back into the access format: UTC there too.
        return UTCFormatter().formatTime(logging.LogRecord("", 0, "", 0, "", None, None))
