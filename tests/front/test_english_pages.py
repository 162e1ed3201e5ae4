"""English pages (SPEC §7, R14): the office's English name where it has one, Japanese that
stays Japanese marked lang="ja", one date style, and terms that say they are Japanese only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils import translation
from django.utils.translation import gettext

from madoguchi.dates import is_japanese
from tests.bookings.factories import second_office
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import cancel_token, confirm_token, confirmed, hold, page

EN = {"accept-language": "en"}
NAME = "ハローワークプラザ福岡"


def english(text: str) -> str:
    with translation.override("en"):
        return gettext(text)


@pytest.fixture
def public_pages(client, fukuoka, clock):
    # The demo office has an English name; these pages show an office without one.
    fukuoka.name_en = ""
    fukuoka.save()
    pending = hold(fukuoka, jst(2026, 12, 1, 18, 15), now=NOW, email="p@example.jp", phone="080-1111-2222")
    later = confirmed(fukuoka, jst(2026, 12, 3, 17, 15), now=NOW, email="c@example.jp", phone="080-3333-4444")
    return {
        "office list": "/",
        "office page": "/o/fukuoka-plaza/",
        "terms": "/o/fukuoka-plaza/terms/",
        "booking form": "/o/fukuoka-plaza/book/20261208T1715/",
        "confirm": f"/b/confirm/{confirm_token(pending)}",
        "cancel": f"/b/cancel/{cancel_token(later)}",
    }


class LangAudit(HTMLParser):
    """Japanese text in <body> whose nearest lang= is not "ja"."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.in_body = False
        self.unmarked: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.in_body or not is_japanese(data):
            return
        lang = next((lang for _, lang in reversed(self.stack) if lang), None)
        if lang != "ja":
            self.unmarked.append(data.strip())


def unmarked_japanese(html: str) -> list[str]:
    audit = LangAudit()
    audit.feed(html)
    return audit.unmarked


def test_it_marks_a_japanese_only_office_name_as_japanese(client, public_pages):
    for name, url in public_pages.items():
        html = page(client.get(url, headers=EN))
        assert f'<span lang="ja">{NAME}</span>' in html, name


def test_it_leaves_no_japanese_data_unmarked_on_english_pages(client, public_pages):
    # What stays Japanese by design: the office's name, the person's name, the office's terms.
    # (Untranslated interface text is the catalogue test's business.)
    data = (NAME, "山田 太郎", "利用規約（デモ用の要約）", "これはデモ用に用意した")
    for name, url in public_pages.items():
        html = page(client.get(url, headers=EN))
        unmarked = [text for text in unmarked_japanese(html) if any(d in text for d in data)]
        assert unmarked == [], name


def test_it_leaves_japanese_pages_unmarked(client, public_pages):
    for name, url in public_pages.items():
        html = page(client.get(url))
        assert '<html lang="ja">' in html
        assert 'span lang="ja"' not in html, name


def test_it_uses_the_english_name_where_the_office_has_one(client, fukuoka, public_pages):
    fukuoka.name_en = "Hello Work Plaza Fukuoka"
    fukuoka.save()
    for name, url in public_pages.items():
        html = page(client.get(url, headers=EN))
        assert "Hello Work Plaza Fukuoka" in html, name
        body = html[html.index("<body") :]
        if name not in ("terms", "booking form"):  # the terms' own title names the office: its document
            assert NAME not in body, name
        # The Japanese pages keep the Japanese name.
        assert NAME in page(client.get(url)), name


def test_it_marks_the_persons_japanese_name_on_english_pages(client, public_pages):
    html = page(client.get(public_pages["confirm"], headers=EN))
    assert '<span lang="ja">山田 太郎</span>' in html


def test_it_writes_every_date_one_way_in_english(client, public_pages):
    for name in ("office page", "terms", "booking form"):
        html = page(client.get(public_pages[name], headers=EN))
        # The terms' effective date as every other date: "Mon 2 October 2023", not "Oct. 2, 2023".
        assert "Mon 2 October 2023" in html, name
        assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d", html), name
    html = page(client.get(public_pages["terms"]))
    assert "2023年10月2日（月）" in html


def test_it_says_under_i_agree_that_office_terms_are_in_japanese_only(client, fukuoka, clock):
    office = second_office()
    form = f"/o/{office.code}/book/20261201T1715/"
    html = page(client.get(form, headers=EN))
    note = english("同意するのは上の日本語の利用規約です。この規約は日本語でのみ提供されています。")
    assert note in html
    # It stands right under the consent checkbox, and the terms themselves are marked Japanese.
    assert (
        html.index('name="agree_terms"')
        < html.index(note)
        < html.index('<button type="submit" class="primary"')
    )
    assert re.search(r'<div class="terms-text"[^>]*lang="ja"', html)
    # A Japanese reader needs no such note.
    assert "同意するのは上の日本語の利用規約です。" not in page(client.get(form))


def test_it_remembers_the_chosen_language_across_public_staff_and_error_pages(
    client, fukuoka, settings, clock
):
    settings.DEBUG = False
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    for url in ("/", "/o/fukuoka-plaza/", "/staff/login/", "/no-such-page/"):
        html = page(client.get(url))
        assert '<html lang="en">' in html, url
        # Every page offers the way back, named in Japanese and marked so.
        assert 'name="language" value="ja" lang="ja">日本語</button>' in html, url
