"""`/healthz` and `/readyz` for a load balancer: tiny, unauthenticated, outside the access records."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connections
from django.test import Client

from console.models import AccessRecord
from madoguchi import health


def get(path: str, **headers: str):
    return Client().get(path, **headers)


def test_it_says_alive_without_touching_the_database() -> None:
    # No `db` fixture: pytest-django makes any database access an error here.
    response = get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_it_answers_a_balancer_that_asks_by_address_over_plain_http(db, settings) -> None:
    settings.ALLOWED_HOSTS = ["madoguchi.example.jp"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = get(path, HTTP_HOST="10.0.0.5:8000")
        assert response.status_code == 200, (path, response.status_code)
    # Everything else still checks the host and redirects to HTTPS.
    assert get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_it_is_ready_when_database_cache_and_queue_answer(db) -> None:
    response = get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok"},
    }


def test_it_names_an_unreachable_cache(db, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("failed (")
    assert "127.0.0.1" not in response.content.decode()  # no addresses or passwords in the answer


def test_it_names_an_unreachable_database_and_queue(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from huey.contrib.djhuey import HUEY

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    monkeypatch.setattr(HUEY.storage, "queue_size", lambda: (_ for _ in ()).throw(ConnectionError("down")))
    response = get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["failed"] == ["database", "queue"]
    assert body["checks"] == {
        "database": "failed (OperationalError)",
        "cache": "ok",
        "queue": "failed (ConnectionError)",
    }


def test_it_keeps_the_probes_out_of_the_access_records(db) -> None:
    for path in ("/healthz", "/readyz"):
        assert get(path).status_code == 200
    assert AccessRecord.objects.count() == 0


def test_it_answers_head_without_a_body(db) -> None:
    response = Client().head("/readyz")
    assert response.status_code == 200
    assert response.content == b""


def test_it_leaves_other_methods_to_the_site(db) -> None:
    assert Client().post("/healthz").status_code != 200
    assert set(health.PROBES) == {"/healthz", "/readyz"}
