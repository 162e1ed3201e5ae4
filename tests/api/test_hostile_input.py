"""Odd input gets a clean 4xx with the envelope, never a 500."""

import json

import pytest

from bookings.models import Booking

BASE = {
    "office": "fukuoka-plaza",
    "start": "2026-12-01T17:15:00+09:00",
    "name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "090-1234-5678",
    "agree_terms": True,
}


def post(client, path, body):
    # json.dumps writes a lone surrogate as the escape \ud800, as a hostile client would.
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("field", ["name", "email", "phone", "note", "jobseeker_number"])
def test_it_refuses_a_lone_surrogate_in_any_field(client, fukuoka, field):
    response = post(client, "/api/v1/bookings", {**BASE, field: "a\ud800"})
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/bookings/confirm", "/api/v1/bookings/cancel"])
@pytest.mark.parametrize("token", ["\ud800", "a" * 5000, "../../etc", ""])
def test_it_answers_not_found_for_a_token_of_the_wrong_shape(client, fukuoka, path, token):
    response = post(client, path, {"token": token})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "2026-12-01T17:15:00"]
)
def test_it_refuses_a_start_it_cannot_place_in_time(client, fukuoka, start):
    response = post(client, "/api/v1/bookings", {**BASE, "start": start})
    assert response.status_code == 422
    assert "start" in response.json()["error"]["fields"]


def test_it_checks_the_length_after_normalising(client, fukuoka):
    # "㍿" is one character that NFKC turns into four (株式会社).
    response = post(client, "/api/v1/bookings", {**BASE, "name": "㍿" * 30})
    assert response.status_code == 422
    assert "100" in response.json()["error"]["fields"]["name"][0]
    assert not Booking.objects.exists()


def test_it_answers_an_unexpected_failure_with_the_envelope(client, fukuoka, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("api.views.slot_availability", broken)
    response = client.get("/api/v1/offices/fukuoka-plaza/slots")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "申し訳ありません。サーバーで問題が起きました。時間をおいて、もう一度お試しください。",
        }
    }
