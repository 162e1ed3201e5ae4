"""SPEC §6: every error has {"error": {"code", "message", "fields"?}}; messages follow Accept-Language."""

import time_machine

from tests.api.helpers import book, error_of, post
from tests.bookings.english import has_english_catalogue, is_japanese
from tests.bookings.factories import hold
from tests.conftest import jst

NOW = jst(2026, 11, 26, 10, 0)


def test_it_gives_fields_only_for_invalid(fukuoka, client):
    hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW, email="first@example.jp", phone="080-2222-3333")
    with time_machine.travel(NOW, tick=False):
        answers = {
            "invalid": book(client, email="nope"),
            "not_found": post(client, "bookings/confirm", {"token": "nope"}),
            "slot_full": book(client),
        }
    for code, response in answers.items():
        error = error_of(response)
        assert error["code"] == code
        assert ("fields" in error) == (code == "invalid")


def test_it_writes_messages_in_japanese_by_default(fukuoka, client):
    with time_machine.travel(NOW, tick=False):
        error = error_of(book(client, email="nope", agree_terms=False))
    assert is_japanese(error["message"])
    assert error["fields"]["email"] == ["メールアドレスを name@example.jp のような形で入力してください。"]
    assert error["fields"]["agree_terms"] == ["予約するには利用規約への同意が必要です。"]


def test_it_writes_messages_in_japanese_when_asked_for_japanese(fukuoka, client):
    with time_machine.travel(NOW, tick=False):
        error = error_of(book(client, email="nope", **{"Accept-Language": "ja"}))
    assert is_japanese(error["message"])


def test_it_writes_messages_in_english_when_asked(fukuoka, client):
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/api/v1/bookings",
            data='{"office": "fukuoka-plaza", "email": "nope", "agree_terms": false}',
            content_type="application/json",
            headers={"Accept-Language": "en"},
        )
        not_found = post(client, "bookings/confirm", {"token": "nope"}, **{"Accept-Language": "en"})
    error = error_of(response)
    messages = [error["message"], error_of(not_found)["message"]]
    messages += error["fields"]["email"] + error["fields"]["agree_terms"]
    # make compiles the English catalogue: English readers get English.
    assert has_english_catalogue()
    for message in messages:
        assert not is_japanese(message), message


def test_it_answers_an_unknown_method_with_the_envelope_not_a_csrf_page(client):
    response = client.generic("QUERY", "/api/v1/offices")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_it_answers_an_unknown_api_path_with_the_envelope(client):
    response = client.post("/api/v1/nothing/here", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
