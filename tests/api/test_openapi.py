"""SPEC §6: the OpenAPI 3.1 document at /api/v1/openapi.json describes every endpoint."""

import pytest

PATHS = {
    ("get", "/api/v1/offices"): {"200"},
    ("get", "/api/v1/offices/{code}/slots"): {"200", "404", "422"},
    ("post", "/api/v1/bookings"): {"201", "404", "409", "422", "429"},
    ("post", "/api/v1/bookings/confirm"): {"200", "404", "410"},
    ("post", "/api/v1/bookings/cancel"): {"200", "404", "409"},
}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(document):
    base = document.get("servers", [{"url": ""}])[0]["url"].rstrip("/")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, base + path, operation


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_it_is_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert isinstance(document["info"]["title"], str)
    assert isinstance(document["info"]["version"], str)


def test_it_describes_every_path_of_the_spec(document):
    found = {(method, path): set(op["responses"]) for method, path, op in operations(document)}
    for key, statuses in PATHS.items():
        assert key in found, key
        assert statuses <= found[key], (key, found[key])


def test_it_gives_every_operation_a_unique_id_and_described_responses(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for _, _, op in operations(document):
        for response in op["responses"].values():
            assert response["description"]


def test_it_declares_every_path_parameter(document):
    for _, path, op in operations(document):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        named = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert declared == named, path


def test_it_resolves_every_reference(document):
    for ref in refs(document):
        assert ref.startswith("#/")
        node = document
        for part in ref[2:].split("/"):
            assert part in node, ref
            node = node[part]


def test_it_lists_every_error_code_of_the_spec(document):
    codes = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(codes) == {
        "invalid",
        "not_found",
        "slot_full",
        "rate_limited",
        "expired",
        "same_day",
        "not_cancellable",
        "too_large",
        # Not in SPEC §6's table: a wrong HTTP method still gets the envelope.
        "method_not_allowed",
        "server_error",
        # Django's own refusals under /api/ (a bad Host, too many fields, a CSRF-like 403).
        "bad_request",
        "forbidden",
    }
