"""SPEC §6: input is normalised before validation; each field says what is wrong, in Japanese first."""

import pytest
from django.utils import translation

from bookings.forms import BookingForm
from tests.bookings.english import has_english_catalogue, is_japanese
from tests.bookings.factories import PERSON


def bound(**fields):
    form = BookingForm(data={**PERSON, **fields})
    form.is_valid()
    return form


def cleaned(**fields):
    form = bound(**fields)
    assert form.is_valid(), form.errors
    return form.applicant()


def test_it_accepts_a_full_width_phone_number():
    person = cleaned(phone="０９０－１２３４－５６７８")
    assert person.phone_key == "+819012345678"
    assert person.phone == "090-1234-5678"


@pytest.mark.parametrize(
    "phone",
    [
        "09012345678",
        "090 1234 5678",
        "090ー1234ー5678",
        "090−1234−5678",
        "+81 90 1234 5678",
        "(090)1234-5678",
    ],
)
def test_it_reads_a_phone_number_written_in_any_usual_way(phone):
    assert cleaned(phone=phone).phone_key == "+819012345678"


def test_it_accepts_an_international_phone_number():
    person = cleaned(phone="+44 20 7946 0958")
    assert person.phone_key == "+442079460958"
    assert person.phone == "+44 20 7946 0958"


def test_it_accepts_a_full_width_international_phone_number():
    assert cleaned(phone="＋４４　２０　７９４６　０９５８").phone_key == "+442079460958"


@pytest.mark.parametrize("phone", ["123", "abc", "090-1234-56789-0", "+44"])
def test_it_refuses_a_phone_number_that_cannot_be_called(phone):
    assert "phone" in bound(phone=phone).errors


def test_it_accepts_a_full_width_email_and_keys_it_case_folded():
    person = cleaned(email="ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ")
    assert person.email == "TARO@example.jp"
    assert person.email_key == "taro@example.jp"


def test_it_trims_surrounding_spaces_of_every_field():
    person = cleaned(
        name="\u3000 山田 太郎 \u3000",
        email="  taro@example.jp ",
        phone=" 090-1234-5678 ",
        jobseeker_number=" 40010-12345678 ",
        note="  よろしくお願いします。  ",
    )
    assert person.name == "山田 太郎"
    assert person.email == "taro@example.jp"
    assert person.phone_key == "+819012345678"
    assert person.jobseeker_number == "40010-12345678"
    assert person.note == "よろしくお願いします。"


def test_it_turns_full_width_letters_and_half_width_kana_into_their_usual_forms():
    assert cleaned(name="ＹＡＭＡＤＡ ﾀﾛｳ").name == "YAMADA タロウ"


@pytest.mark.parametrize("field", ["name", "email", "phone", "jobseeker_number", "note"])
@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_it_refuses_control_characters(field, control):
    value = {
        "name": "山田{}太郎",
        "email": "taro{}@example.jp",
        "phone": "090-1234{}-5678",
        "jobseeker_number": "40010{}-12345678",
        "note": "よろしく{}お願いします",
    }[field].format(control)
    assert field in bound(**{field: value}).errors


def test_it_refuses_a_line_break_in_the_name():
    assert bound(name="山田\n太郎").errors["name"] == ["使用できない制御文字が含まれています。"]


def test_it_keeps_line_breaks_in_the_note():
    assert cleaned(note="一行目\n二行目").note == "一行目\n二行目"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12345-123456", "12345-123456"),
        ("12345-1234567", "12345-1234567"),
        ("40010-12345678", "40010-12345678"),
        ("12345123456", "12345-123456"),
        ("1234512345678", "12345-12345678"),
        ("４００１０－１２３４５６７８", "40010-12345678"),
        ("40010ー12345678", "40010-12345678"),
        ("", ""),
    ],
)
def test_it_reads_a_jobseeker_number_leniently(typed, stored):
    assert cleaned(jobseeker_number=typed).jobseeker_number == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12345123456789",
        "12345-123456789",
        "1234-123456",
        "123456-123456",
        "12345-12345",
        "abcde-123456",
        "١٢٣٤٥-١٢٣٤٥٦",  # Arabic-Indic digits are not card digits
    ],
)
def test_it_refuses_a_jobseeker_number_of_the_wrong_shape(typed):
    assert "jobseeker_number" in bound(jobseeker_number=typed).errors


def test_it_requires_the_consent_to_the_terms():
    assert bound(agree_terms="").errors["agree_terms"] == ["予約するには利用規約への同意が必要です。"]


def test_it_explains_each_field_in_japanese_by_default():
    form = bound(name=" ", email="taro@", phone="123", jobseeker_number="1-2", agree_terms="")
    assert set(form.errors) == {"name", "email", "phone", "jobseeker_number", "agree_terms"}
    assert form.errors["email"] == ["メールアドレスを name@example.jp のような形で入力してください。"]
    assert form.errors["phone"] == [
        "連絡のつく電話番号を 090-1234-5678 や +81 90 1234 5678 のように入力してください。"
    ]
    for messages in form.errors.values():
        assert all(is_japanese(message) for message in messages)


def test_it_explains_each_field_in_english_when_asked():
    with translation.override("en"):
        form = bound(email="taro@", phone="123", jobseeker_number="1-2", agree_terms="")
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
    assert set(errors) == {"email", "phone", "jobseeker_number", "agree_terms"}
    for messages in errors.values():
        assert has_english_catalogue()  # compiled by make
        assert not any(is_japanese(m) for m in messages), messages
