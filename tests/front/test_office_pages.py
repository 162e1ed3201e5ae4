"""The office list and the office page with its slot calendar (R1–R3, SPEC §7)."""

from __future__ import annotations

import re

from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import hold, page

OFFICE = "/o/fukuoka-plaza/"


def slot_link(key: str) -> str:
    return f'href="/o/fukuoka-plaza/book/{key}/"'


def test_it_lists_the_offices_in_japanese_by_default(client, fukuoka, clock):
    response = client.get("/")
    html = page(response)
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "窓口を選んでください" in html
    assert "1回30分、無料です。" in html
    assert f'href="{OFFICE}"' in html
    assert "ハローワークプラザ福岡" in html


def test_it_shows_the_slots_first_and_the_rules_below_them(client, fukuoka, clock):
    html = page(client.get(OFFICE))
    # On a phone the first slot must be on the first screen: the rules come after the calendar,
    # with a link to them from the top.
    assert (
        html.index("予約できる日時")
        < html.index(slot_link("20261201T1715"))
        < html.index('<h2 id="rules-h">ご利用の前に</h2>')
    )
    assert html.index('href="#rules-h"') < html.index(slot_link("20261201T1715"))
    assert "相談は1回30分、無料です" in html
    assert "カメラとマイクが使えるスマートフォンかパソコン" in html
    assert "TeleOffice" in html
    assert "1時間以内に「予約を確定する」ボタンを押すと、予約が確定します" in html
    assert 'href="/o/fukuoka-plaza/terms/"' in html
    assert re.search(r"2023年10月2日(（月）)?施行（demo-1版）", html)
    assert 'href="tel:092-000-0000"' in html


def test_it_groups_the_calendar_by_month_with_headings_and_marks_today(client, fukuoka, clock):
    html = page(client.get(OFFICE))
    months = re.findall(r'<h2 id="m(\d{6})">([^<]+)</h2>', html)
    assert months == [("202612", "2026年12月"), ("202701", "2027年1月")]  # 60 days ahead
    days = re.findall(r'<h3><span class="vh">([^<]+)</span><span aria-hidden="true">([^<]+)</span>', html)
    assert days[:3] == [
        ("2026年12月1日（火）", "1日（火）"),
        ("2026年12月3日（木）", "3日（木）"),
        ("2026年12月8日（火）", "8日（火）"),
    ]
    # Today (1 December at NOW) says so in words, once.
    assert re.search(
        r'<li class="day today">\s*<h3><span class="vh">2026年12月1日（火）</span>'
        r'<span aria-hidden="true">1日（火）</span> <span class="today-mark">今日</span></h3>',
        html,
    )
    assert html.count('class="today-mark"') == 1
    # Each slot link still names its whole date for a screen reader's list of links.
    assert re.search(
        r'href="/o/fukuoka-plaza/book/20261203T1715/"><span class="vh">2026年12月3日（木） </span>', html
    )


def test_it_offers_free_slots_as_links_and_full_slots_as_plain_text(client, fukuoka, clock):
    hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW)
    response = client.get(OFFICE)
    html = page(response)
    assert response.status_code == 200
    assert '<span class="vh">2026年12月1日（火）</span>' in html
    # The taken slot is text marked 満席, not a link; the other one can be booked.
    assert slot_link("20261201T1715") not in html
    assert re.search(
        r'<span class="slot full">.*?17:15<span class="end">–17:45</span></span> <em>満席</em>', html
    )
    assert slot_link("20261201T1815") in html
    assert html.count('class="slot full"') == 1


def test_it_marks_saturdays_and_leaves_out_the_year_end_closure(client, fukuoka, clock):
    html = page(client.get(OFFICE))
    # R2: the 2nd and 4th Saturday, set apart from the weekday evenings.
    assert re.search(r'<li class="day sat">\s*<h3><span class="vh">2026年12月12日（土）</span>', html)
    assert slot_link("20261212T1100") in html
    assert slot_link("20261205T1100") not in html  # 1st Saturday
    # R3: 12/29–1/3 closed (29 Dec is a Tuesday, 31 Dec a Thursday).
    assert slot_link("20261229T1715") not in html
    assert slot_link("20261231T1715") not in html
    assert slot_link("20270105T1715") in html


def test_it_says_so_when_nothing_can_be_booked(client, fukuoka, clock):
    fukuoka.horizon_days = 0
    fukuoka.save()
    clock.move_to(jst(2026, 12, 1, 18, 30))
    html = page(client.get(OFFICE))
    assert "現在、予約できる枠はありません。" in html


def test_it_answers_404_for_an_unknown_office(client, fukuoka, clock):
    assert client.get("/o/no-such-office/").status_code == 404


def test_it_speaks_english_when_the_browser_asks_for_it(client, fukuoka, clock):
    html = page(client.get(OFFICE, headers={"accept-language": "en"}))
    assert '<html lang="en">' in html
    assert "Before you book" in html
    assert "Each consultation lasts 30 minutes and is free" in html
    assert "Available times" in html
    assert '<h2 id="m202612">December 2026</h2>' in html
    assert '<span class="vh">Tue 1 December 2026</span><span aria-hidden="true">Tue 1</span>' in html
    assert "予約できる日時" not in html
    assert "ご利用の前に" not in html


def test_it_switches_language_with_the_header_button(client, fukuoka, clock):
    html = page(client.get(OFFICE))
    assert 'name="language" value="en"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": OFFICE})
    assert response.status_code == 302
    assert response["Location"] == OFFICE
    html = page(client.get(OFFICE))
    assert '<html lang="en">' in html
    assert "Available times" in html
    # And back: the button offers Japanese, named in Japanese.
    assert 'value="ja" lang="ja">日本語</button>' in html
    client.post("/i18n/setlang/", {"language": "ja", "next": OFFICE})
    assert "予約できる日時" in page(client.get(OFFICE))


def test_it_shows_the_terms_page_with_its_version(client, fukuoka, clock):
    response = client.get("/o/fukuoka-plaza/terms/")
    html = page(response)
    assert response.status_code == 200
    assert "利用規約" in html
    assert "2023年10月2日（月）施行（demo-1版）" in html
