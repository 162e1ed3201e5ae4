"""Error pages in the site's style, Japanese first, with a way back (SPEC §7); the API keeps
its JSON envelope (SPEC §6)."""

from __future__ import annotations

import json

import pytest
from django.db import connections
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from tests.front.helpers import page

pytestmark = pytest.mark.usefixtures("fukuoka")


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.front.error_urls"


def test_it_answers_an_unknown_public_address_with_the_site_page(client):
    response = client.get("/no-such-page/")
    html = page(response)
    assert response.status_code == 404
    assert '<html lang="ja">' in html
    assert "<h1>ページが見つかりません</h1>" in html
    assert "<title>ページが見つかりません | madoguchi</title>" in html
    assert '<a href="/">窓口の一覧へ</a>' in html
    assert 'href="/static/front/site.css"' in html
    assert "Not Found" not in html  # not Django's bare page


def test_it_follows_the_chosen_language_and_offers_the_switch_on_the_404(client):
    html = page(client.get("/o/no-such-office/", headers={"accept-language": "en"}))
    assert '<html lang="en">' in html
    with translation.override("en"):
        assert f"<h1>{gettext('ページが見つかりません')}</h1>" in html
    assert 'name="language" value="ja" lang="ja">日本語</button>' in html
    # The switch works from the error page and is remembered on the next one.
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/o/no-such-office/"})
    assert response.status_code == 302
    assert '<html lang="en">' in page(client.get("/still-missing/"))


def test_it_shows_a_standalone_500_page_japanese_first():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    html = page(response)
    assert response.status_code == 500
    assert '<html lang="ja">' in html
    assert "<h1>サーバーで問題が起きました</h1>" in html
    assert '<section class="error-page" lang="en">' in html
    assert html.index("サーバーで問題が起きました") < html.index('lang="en"')
    assert '<a href="/">窓口の一覧へ</a>' in html
    assert 'href="/static/front/site.css"' in html


def test_it_renders_the_500_page_without_a_request_or_a_database():
    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    saved = [(connection, connection.cursor) for connection in connections.all()]
    try:
        for connection, _ in saved:
            connection.cursor = no_database
        html = render_to_string("500.html")
    finally:
        for connection, cursor in saved:
            connection.cursor = cursor
    assert "サーバーで問題が起きました" in html
    assert "csrfmiddlewaretoken" not in html


def test_it_shows_a_standalone_400_page(client):
    response = client.get("/", headers={"host": "evil.example"})  # not in ALLOWED_HOSTS
    html = page(response)
    assert response.status_code == 400
    assert "<h1>リクエストを処理できませんでした</h1>" in html
    assert '<a href="/">窓口の一覧へ</a>' in html


def test_it_keeps_the_403_page_in_the_site_style(client):
    html = render_to_string("403.html", {"request": None})
    assert "<h1>このページは表示できません</h1>" in html
    assert '<a href="/">窓口の一覧へ</a>' in html


def test_it_keeps_the_json_envelope_under_the_api(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"]["code"] == "not_found"

    failing = Client(raise_request_exception=False)
    response = failing.get("/api/v1/boom")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"]["code"] == "server_error"


def test_the_error_pages_hold_under_the_strict_policy(client):
    from tests.front.test_page_hygiene import audit

    failing = Client(raise_request_exception=False)
    for response in (
        client.get("/nothing/"),
        failing.get("/boom/"),
        client.get("/", headers={"host": "x.invalid"}),
    ):
        result = audit(page(response))
        assert result.problems == [], response.status_code
        assert result.h1 == 1, response.status_code
        assert result.html_lang == "ja"
        assert "Content-Security-Policy" in response
