"""Mail as people read it: plain subjects, the office's English name, and a same-day
completion mail that does not promise a cancellation the link will refuse (R7)."""

from __future__ import annotations

import email
import email.policy
import re
from html import unescape

import pytest
from django.utils import translation
from django.utils.translation import gettext

from bookings.emails import render_mail
from bookings.models import MailKind, OutgoingMail
from bookings.services import booking_cancel
from tests.bookings.factories import cancel_token, confirm, hold
from tests.conftest import jst

START = jst(2026, 12, 1, 17, 15)
DAY_BEFORE = jst(2026, 11, 30, 21, 0)
SAME_DAY = jst(2026, 12, 1, 9, 30)
# 2026-11-30 23:30 UTC is already 1 December in Fukuoka.
SAME_DAY_IN_UTC_TERMS = jst(2026, 12, 1, 8, 30)


def rendered(booking, kind):
    message = render_mail(OutgoingMail.objects.get(booking=booking, kind=kind))
    [(html, _)] = message.alternatives
    return message, html


@pytest.fixture
def ampersand_office(fukuoka):
    fukuoka.name = "A&B <テスト>"
    fukuoka.name_en = ""  # English mail shows it too
    fukuoka.save()
    return fukuoka


@pytest.mark.parametrize("language", ["ja", "en"])
def test_it_does_not_html_escape_subjects(ampersand_office, language):
    booking = confirm(hold(ampersand_office, START, now=DAY_BEFORE, language=language), now=DAY_BEFORE)
    booking_cancel(token=cancel_token(booking), now=DAY_BEFORE)
    for kind in (MailKind.CONFIRM_REQUEST, MailKind.COMPLETION, MailKind.CANCELLATION):
        message, html = rendered(booking, kind)
        assert "A&B <テスト>" in message.subject, (kind, message.subject)
        assert "&amp;" not in message.subject and "&lt;" not in message.subject
        assert message.subject == message.subject.strip()
        assert "\n" not in message.subject and "\r" not in message.subject
        # The text part is plain text too; the HTML part escapes as it must.
        assert "A&B <テスト>" in message.body
        assert "&amp;" not in message.body
        assert "A&amp;B &lt;テスト&gt;" in html
        assert "<テスト>" not in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_it_sends_subjects_that_a_strict_reader_reads_back_unchanged(fukuoka, language):
    # A long Japanese subject once went out as "Subject: " and the encoded words on the next
    # line; Python's parser (as mail readers built on it) then read it with a leading space.
    booking = confirm(hold(fukuoka, START, now=DAY_BEFORE, language=language), now=DAY_BEFORE)
    booking_cancel(token=cancel_token(booking), now=DAY_BEFORE)
    for kind in (MailKind.CONFIRM_REQUEST, MailKind.COMPLETION, MailKind.CANCELLATION):
        message, _ = rendered(booking, kind)
        wire = message.message().as_bytes()
        assert not re.search(rb"^Subject:\s*$", wire, re.MULTILINE), wire[:400]
        parsed = email.message_from_bytes(wire, policy=email.policy.default)
        assert parsed["Subject"] == message.subject, (kind, parsed["Subject"])


def test_it_keeps_a_multi_line_subject_on_one_line(fukuoka, settings, tmp_path):
    (tmp_path / "bookings" / "email").mkdir(parents=True)
    (tmp_path / "bookings" / "email" / "confirm_request.subject.txt").write_text(
        "\n  Line one\nA&B  {{ office.code }}\n"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    booking = hold(fukuoka, START, now=DAY_BEFORE)
    message, _ = rendered(booking, MailKind.CONFIRM_REQUEST)
    assert message.subject == "Line one A&B fukuoka-plaza"


def test_it_names_the_office_in_english_in_english_mail(fukuoka):
    fukuoka.name_en = "Hello Work Plaza Fukuoka"
    fukuoka.save()
    booking = confirm(hold(fukuoka, START, now=DAY_BEFORE, language="en"), now=DAY_BEFORE)
    for kind in (MailKind.CONFIRM_REQUEST, MailKind.COMPLETION):
        message, html = rendered(booking, kind)
        for part in (message.subject, message.body, html):
            assert "Hello Work Plaza Fukuoka" in part
            assert "ハローワークプラザ福岡" not in part


def test_it_marks_a_japanese_only_office_name_as_japanese_in_english_mail(fukuoka):
    fukuoka.name_en = ""
    fukuoka.save()
    booking = confirm(hold(fukuoka, START, now=DAY_BEFORE, language="en"), now=DAY_BEFORE)
    _, html = rendered(booking, MailKind.COMPLETION)
    assert '<span lang="ja">ハローワークプラザ福岡</span>' in html
    assert '<span lang="ja">山田 太郎</span>' in html
    # Japanese mail needs no marking: the whole mail is lang="ja".
    japanese = confirm(hold(fukuoka, jst(2026, 12, 3, 17, 15), now=DAY_BEFORE, email="j@example.jp",
                            phone="080-1111-2222"), now=DAY_BEFORE)  # fmt: skip
    _, html = rendered(japanese, MailKind.COMPLETION)
    assert '<html lang="ja">' in html
    assert 'span lang="ja"' not in html


def cancel_section(text):
    """The mail from the cancellation heading on."""
    return text[text.index("キャンセル") :] if "キャンセル" in text else text


def one_cancel_link(text):
    return set(re.findall(r"https?://[^\s\"'<>]+/b/cancel/[^\s\"'<>]+", text))


def test_it_tells_a_same_day_booking_to_phone_instead_of_promising_the_link(fukuoka):
    booking = confirm(hold(fukuoka, START, now=SAME_DAY), now=SAME_DAY)
    message, html = rendered(booking, MailKind.COMPLETION)
    for part in (message.body, html):
        # SPEC §5: still exactly one cancellation link …
        assert len(one_cancel_link(part)) == 1
        # … but R7 is said plainly: on the day, by phone, and the link only shows the booking.
        assert "相談は本日のため、キャンセルはお電話（092-000-0000）でのみ受け付けます。" in part
        assert "次のリンクでは予約の内容を確認できます。" in part
        assert "相談日の前日までは、次のリンクからキャンセルできます。" not in part


def test_it_decides_same_day_in_office_time(fukuoka):
    booking = confirm(hold(fukuoka, START, now=SAME_DAY_IN_UTC_TERMS), now=SAME_DAY_IN_UTC_TERMS)
    message, _ = rendered(booking, MailKind.COMPLETION)
    assert "相談は本日のため" in message.body


def test_it_still_offers_the_link_to_a_booking_confirmed_the_day_before(fukuoka):
    booking = confirm(hold(fukuoka, START, now=DAY_BEFORE), now=DAY_BEFORE)
    message, html = rendered(booking, MailKind.COMPLETION)
    for part in (message.body, html):
        assert "相談日の前日までは、次のリンクからキャンセルできます。" in part
        assert "相談は本日のため" not in part
        assert len(one_cancel_link(part)) == 1


def test_it_says_so_in_english_too(fukuoka):
    same_day = confirm(hold(fukuoka, START, now=SAME_DAY, language="en"), now=SAME_DAY)
    day_before = confirm(
        hold(fukuoka, jst(2026, 12, 3, 17, 15), now=DAY_BEFORE, language="en", email="e@example.jp",
             phone="080-1111-2222"),
        now=DAY_BEFORE,
    )  # fmt: skip
    with translation.override("en"):
        promise = gettext("相談日の前日までは、次のリンクからキャンセルできます。")
    same_text, same_html = rendered(same_day, MailKind.COMPLETION)
    before_text, before_html = rendered(day_before, MailKind.COMPLETION)
    for same, before in ((same_text.body, before_text.body), (unescape(same_html), unescape(before_html))):
        # The promise that the link cancels is made the day before, not on the day …
        assert promise in before
        assert promise not in same
        # … where the office's phone number stands just before the one link.
        [link] = one_cancel_link(same)
        assert "092-000-0000" in same[max(0, same.index(link) - 300) : same.index(link)]
