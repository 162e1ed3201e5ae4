"""schemathesis against /api/v1/openapi.json (SPEC §6): no 5xx, every answer as documented.

Runs in process on the WSGI application, on whichever database the suite uses (SQLite, or
PostgreSQL with DATABASE_URL). Rate limits stay off (test settings): the examples would
otherwise end in 429s, which the document lists but which test nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from api.openapi import openapi_document

# The document as served (test_the_served_document_is_the_one_tested checks that they agree).
# schemathesis.pytest.from_fixture would fetch it per test, but it fails on pytest 9.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = WSGIHandler()

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def in_process(fukuoka, settings) -> Iterator[None]:
    settings.ALLOWED_HOSTS = ["localhost"]  # the Host schemathesis sends to a WSGI app
    # As Django's test client does: a request must not close the test's connection, which
    # holds the transaction that keeps each test's data apart.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_served_document_is_the_one_tested(db):
    assert Client().get("/api/v1/openapi.json").json() == openapi_document()


@schema.parametrize()
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_answers_as_its_document_says(case: schemathesis.Case, in_process: None) -> None:
    response = case.call()
    case.validate_response(response, checks=CHECKS)
