import pytest
from django.core.cache import cache

BODY = '{"office": "fukuoka-plaza"}'


@pytest.fixture
def limits_on(settings):
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    yield
    cache.clear()


def test_it_answers_429_with_the_envelope_after_too_many_bookings(client, fukuoka, limits_on):
    answers = [
        client.post("/api/v1/bookings", data=BODY, content_type="application/json").status_code
        for _ in range(21)
    ]
    assert answers[:20] == [422] * 20
    assert answers[20] == 429
    body = client.post("/api/v1/bookings", data=BODY, content_type="application/json").json()
    assert body["error"]["code"] == "rate_limited"
    assert "fields" not in body["error"]


def test_it_counts_clients_apart_by_address(client, fukuoka, limits_on):
    for _ in range(20):
        client.post("/api/v1/bookings", data=BODY, content_type="application/json", REMOTE_ADDR="10.0.0.1")
    other = client.post(
        "/api/v1/bookings", data=BODY, content_type="application/json", REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 422


def test_it_believes_forwarded_addresses_only_from_trusted_proxies(client, fukuoka, limits_on, settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    for _ in range(20):
        client.post(
            "/api/v1/bookings",
            data=BODY,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    blocked = client.post(
        "/api/v1/bookings", data=BODY, content_type="application/json", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    other = client.post(
        "/api/v1/bookings", data=BODY, content_type="application/json", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert blocked.status_code == 429
    assert other.status_code == 422
