"""Small helpers for the JSON API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

VALID: dict[str, Any] = {
    "office": "fukuoka-plaza",
    "start": "2026-12-01T17:15:00+09:00",
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": True,
}


def post(client: Client, path: str, body: Any, **headers: str):
    return client.post(
        f"/api/v1/{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


def book(client: Client, **fields: Any):
    return post(client, "bookings", {**VALID, **fields})


def error_of(response) -> dict[str, Any]:
    """The error object, after checking the envelope of SPEC §6."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    expected = {"code", "message", "fields"} if error["code"] == "invalid" else {"code", "message"}
    assert set(error) == expected
    assert isinstance(error["message"], str) and error["message"]
    return error
