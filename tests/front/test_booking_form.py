"""The booking form (R4) and the "check your email" page (R5)."""

from __future__ import annotations

from bookings.models import Booking, Status
from tests.conftest import jst
from tests.front.conftest import NOW
from tests.front.helpers import PERSON, hold, page

FORM = "/o/fukuoka-plaza/book/20261201T1715/"


def test_it_shows_the_slot_the_terms_and_the_consent_box(client, fukuoka, clock):
    response = client.get(FORM)
    html = page(response)
    assert response.status_code == 200
    assert "2026年12月1日（火）17:15〜17:45" in html
    assert fukuoka.terms_versions.get().title in html
    assert '<input type="checkbox" id="id_agree_terms" name="agree_terms" required>' in html
    assert '<label for="id_agree_terms">利用規約に同意します</label>' in html
    # Phone keyboards: the right input types and autofill hints.
    assert 'type="email" id="id_email" name="email"' in html
    assert 'type="tel" id="id_phone" name="phone"' in html
    assert 'autocomplete="name"' in html


def test_it_holds_the_seat_and_sends_the_user_to_check_their_email(client, fukuoka, clock):
    response = client.post(FORM, {**PERSON, "email": "Taro@Example.jp", "support": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/b/sent/"
    booking = Booking.objects.get()
    assert booking.status == Status.PENDING
    assert booking.start == jst(2026, 12, 1, 17, 15)
    assert booking.support is True
    assert booking.terms == fukuoka.terms_versions.get()

    html = page(client.get("/b/sent/"))
    assert "まだ予約は確定していません" in html
    assert "<strong>Taro@Example.jp</strong> に確認メールをお送りしました。" in html
    # R5: one hour from now (10:00), exactly.
    assert "<strong>2026年12月1日（火）11:00</strong> までに" in html
    assert "2026年12月1日（火）17:15〜17:45" in html


def test_it_gives_the_deadline_as_the_slot_start_when_that_comes_first(client, fukuoka, clock):
    clock.move_to(jst(2026, 12, 1, 16, 45))
    client.post(FORM, PERSON)
    html = page(client.get("/b/sent/"))
    assert "<strong>2026年12月1日（火）17:15</strong> までに" in html


def test_it_shows_each_mistake_next_to_its_field_in_japanese(client, fukuoka, clock):
    response = client.post(
        FORM, {"name": "", "email": "not-an-email", "phone": "123", "jobseeker_number": "12"}
    )
    html = page(response)
    assert response.status_code == 422
    assert not Booking.objects.exists()
    assert "入力内容に誤りがあります。各項目のメッセージをご確認ください。" in html
    assert '<p class="error" id="id_name-error">氏名を入力してください。</p>' in html
    assert "メールアドレスを name@example.jp のような形で入力してください。" in html
    assert "連絡のつく電話番号を 090-1234-5678 や +81 90 1234 5678 のように入力してください。" in html
    assert "求職番号は、5桁の数字・ハイフン・6〜8桁の数字です" in html
    assert '<p class="error" id="id_agree_terms-error">予約するには利用規約への同意が必要です。</p>' in html
    # What was typed is kept, and screen readers hear which fields are wrong.
    assert 'value="not-an-email"' in html
    assert 'aria-invalid="true" aria-describedby="id_email-error"' in html
    # The summary at the top links each mistake to its field, and takes the focus (autofocus).
    assert '<a href="#id_phone">連絡のつく電話番号を 090-1234-5678 や' in html
    assert 'id="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert html.count("autofocus") == 1


def test_it_shows_the_mistakes_in_english_too(client, fukuoka, clock):
    response = client.post(FORM, {**PERSON, "email": "nope"}, headers={"accept-language": "en"})
    html = page(response)
    assert response.status_code == 422
    assert "Please enter an email address in a form like name@example.jp." in html
    assert "Some of your entries need attention." in html


def test_it_explains_a_slot_that_was_taken_meanwhile(client, fukuoka, clock):
    hold(fukuoka, jst(2026, 12, 1, 17, 15), now=NOW)
    response = client.post(FORM, {**PERSON, "email": "other@example.jp", "phone": "080-9876-5432"})
    assert response.status_code == 409
    assert "この枠はたった今満席になりました" in page(response)
    assert Booking.objects.count() == 1


def test_it_refuses_a_slot_that_is_not_on_the_schedule(client, fukuoka, clock):
    response = client.get("/o/fukuoka-plaza/book/20261201T1000/")
    assert response.status_code == 404
    assert "この枠は予約できません" in page(response)


def test_it_sends_a_visitor_without_a_booking_back_to_the_start(client, fukuoka, clock):
    response = client.get("/b/sent/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_asks_for_consent_again_when_the_terms_changed_since_the_form_was_shown(client, fukuoka, clock):
    response = client.post(FORM, {**PERSON, "terms_version": "2020-01-01"})
    assert response.status_code == 409
    html = page(response)
    assert "利用規約が改定されました" in html
    assert 'name="agree_terms" required aria-invalid="true"' in html  # no longer ticked
    assert not Booking.objects.exists()
