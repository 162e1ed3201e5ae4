"""Probes for a load balancer: `/healthz` (the process answers) and `/readyz` (it can serve).

They are answered by the first middleware, before anything else runs: no session, no
host check (a balancer asks by address), no HTTPS redirect, no access record, no
database for `/healthz`. `/readyz` answers 503 naming what it could not reach.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


def _database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close_if_unusable_or_obsolete()
        raise


def _cache() -> None:
    key = f"madoguchi:readyz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not keep a value")
    finally:
        cache.delete(key)


def _queue() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.storage.queue_size()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "queue": _queue}


def readiness() -> dict[str, str]:
    """Each dependency: "ok", or the kind of error met reaching it (no details: hosts, passwords)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            log.warning("readyz: %s unreachable: %s", name, type(exc).__name__)
            results[name] = f"failed ({type(exc).__name__})"
        else:
            results[name] = "ok"
    return results


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz() -> HttpResponse:
    return _json(200, {"status": "ok"})


def readyz() -> HttpResponse:
    checks = readiness()
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return _json(503, {"status": "unavailable", "failed": failed, "checks": checks})
    return _json(200, {"status": "ok", "checks": checks})


PROBES: dict[str, Callable[[], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthProbes:
    """First in MIDDLEWARE: answer the probes (GET or HEAD) before the rest of the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            response = probe()
            if request.method == "HEAD":
                response.content = b""
            return response
        return self.get_response(request)
