"""Every public page holds under a strict Content-Security-Policy and reads well
with assistive technology (SPEC §7, §8): no inline script or style, no assets from
other hosts, a language, one h1, and a label for every field."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import PERSON, cancel_token, confirm_token, confirmed, hold

# Attributes that make the browser fetch something while rendering the page.
ASSET_ATTRIBUTES = {("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"),
                    ("source", "src"), ("source", "srcset"), ("iframe", "src"), ("video", "src"),
                    ("audio", "src"), ("video", "poster"), ("object", "data"), ("embed", "src")}  # fmt: skip
FIELD_TYPES_WITHOUT_LABEL = {"hidden", "submit", "button", "reset", "image"}


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.html_lang: str | None = None
        self.h1 = 0
        self.label_targets: set[str] = set()
        self.fields: list[str] = []
        self.ids: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if element_id := attributes.get("id"):
            self.ids.append(element_id)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")
            if (tag, name) in ASSET_ATTRIBUTES and value:
                for url in value.split(","):
                    host = urlparse(url.strip().split(" ")[0]).netloc
                    if host:
                        self.problems.append(f"asset from another host: <{tag} {name}={value!r}>")
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "style":
            self.problems.append("inline <style> element")
        elif tag == "script":
            if not attributes.get("src"):
                self.problems.append("inline <script> element")
            self._in_script = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label" and attributes.get("for"):
            self.label_targets.add(str(attributes["for"]))
        elif tag in ("input", "textarea", "select"):
            if (attributes.get("type") or "text") not in FIELD_TYPES_WITHOUT_LABEL:
                self.fields.append(str(attributes.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("a <script> element with inline code")


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def pages(client, fukuoka, clock) -> dict[str, tuple[str, str, dict[str, str] | None]]:
    """(method, url, data) of every public page in its interesting states."""
    pending = hold(fukuoka, jst(2026, 12, 1, 18, 15), now=NOW, email="p@example.jp", phone="080-1111-2222")
    later = confirmed(fukuoka, jst(2026, 12, 3, 17, 15), now=NOW, email="c@example.jp", phone="080-3333-4444")
    today = confirmed(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW)
    client.post(
        "/o/fukuoka-plaza/book/20261203T1815/",
        {**PERSON, "email": "s@example.jp", "phone": "080-5555-6666"},
    )
    return {
        "office list": ("get", "/", None),
        "office page": ("get", "/o/fukuoka-plaza/", None),
        "terms": ("get", "/o/fukuoka-plaza/terms/", None),
        "booking form": ("get", "/o/fukuoka-plaza/book/20261208T1715/", None),
        "booking form with errors": ("post", "/o/fukuoka-plaza/book/20261208T1715/", {"email": "x"}),
        "slot gone": ("get", "/o/fukuoka-plaza/book/20261201T0900/", None),
        "check your email": ("get", "/b/sent/", None),
        "confirm": ("get", f"/b/confirm/{confirm_token(pending)}", None),
        "confirmed": ("get", f"/b/confirm/{confirm_token(later)}", None),
        "cancel": ("get", f"/b/cancel/{cancel_token(later)}", None),
        "cancel on the day": ("get", f"/b/cancel/{cancel_token(today)}", None),
        "unknown link": ("get", "/b/confirm/nothing-here", None),
    }


@pytest.mark.parametrize("language", ["ja", "en"])
def test_it_keeps_every_public_page_clean(client, pages, language):
    seen = []
    for name, (method, url, data) in pages.items():
        response = getattr(client, method)(url, data or {}, headers={"accept-language": language})
        assert response.status_code in (200, 404, 422), (name, response.status_code)
        result = audit(response.content.decode())
        assert result.problems == [], f"{name} ({url}): {result.problems}"
        assert result.html_lang == language, name
        assert result.h1 == 1, f"{name}: {result.h1} <h1>"
        unlabelled = [f for f in result.fields if f not in result.label_targets]
        assert unlabelled == [], f"{name}: fields without a <label for>: {unlabelled}"
        duplicates = {i for i in result.ids if result.ids.count(i) > 1}
        assert not duplicates, f"{name}: duplicate ids {duplicates}"
        seen.append(name)
    assert len(seen) == len(pages)


def test_it_serves_the_stylesheet_itself(client, fukuoka, clock):
    html = client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/front/site.css">' in html
    response = client.get("/static/front/site.css")
    assert response.status_code == 200
    css = b"".join(response.streaming_content).decode()
    assert "@import" not in css
    assert "url(http" not in css.replace(" ", "")


def test_it_would_notice_what_a_strict_policy_blocks():
    bad = audit(
        '<html><script>alert(1)</script><p style="color:red" onclick="x()">'
        '<link rel="stylesheet" href="https://cdn.example.com/a.css"><style>p{}</style>'
        '<input id="q"></html>'
    )
    assert len(bad.problems) == 6, bad.problems
    assert bad.fields == ["q"] and not bad.label_targets
