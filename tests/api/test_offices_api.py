"""SPEC §6: GET /api/v1/offices."""


def test_it_lists_offices_with_code_name_phone_and_timezone(fukuoka, client):
    response = client.get("/api/v1/offices")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == [
        {
            "code": "fukuoka-plaza",
            "name": "ハローワークプラザ福岡",
            "phone": "092-000-0000",
            "timezone": "Asia/Tokyo",
        }
    ]


def test_it_lists_no_offices_when_there_are_none(db, client):
    assert client.get("/api/v1/offices").json() == []
