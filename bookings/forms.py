"""The booking form (R4), shared by the public page and the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.utils.translation import gettext_lazy as _

from bookings.normalize import clean_number, clean_text, email_key, has_control_characters

MAX_LENGTH_MESSAGE = _("%(limit_value)d文字以内で入力してください（現在%(show_value)d文字）。")

# As printed on the Hello Work card: a 5-digit office code, then 6–8 digits.
# ASCII digits only: NFKC turns full-width digits into ASCII, but \d alone
# would also let Arabic-Indic or Devanagari digits through unchanged.
JOBSEEKER_NUMBER = re.compile(r"^(\d{5})-?(\d{6,8})$", re.ASCII)


@dataclass(frozen=True)
class Applicant:
    name: str
    email: str
    email_key: str
    phone: str
    phone_key: str
    jobseeker_number: str = ""
    note: str = ""
    support: bool = False


class BookingForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100)
    email = forms.CharField(label=_("メールアドレス"), max_length=254)
    phone = forms.CharField(label=_("電話番号"), max_length=40)
    jobseeker_number = forms.CharField(
        label=_("求職番号（任意）"),
        max_length=30,
        required=False,
        help_text=_("ハローワーク受付票に記載の番号です（例：40010-12345678）。"),
    )
    note = forms.CharField(
        label=_("相談したいこと（任意）"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    support = forms.BooleanField(label=_("通訳者・介助者が同席します"), required=False)
    agree_terms = forms.BooleanField(
        label=_("利用規約に同意します"),
        required=True,
        error_messages={"required": _("予約するには利用規約への同意が必要です。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        required = {
            "name": _("氏名を入力してください。"),
            "email": _("メールアドレスを入力してください。"),
            "phone": _("電話番号を入力してください。"),
        }
        for name, field in self.fields.items():
            if name in required:
                field.error_messages["required"] = required[name]
            field.error_messages["max_length"] = MAX_LENGTH_MESSAGE
            # Control characters, NUL included, get our own clearer message in _text().
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]

    def _text(self, field: str, *, allow_newlines: bool = False) -> str:
        raw = self.data.get(field, "")
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise ValidationError(_("文字列で指定してください。"), code="type")
        if has_control_characters(raw, allow_newlines=allow_newlines):
            raise ValidationError(_("使用できない制御文字が含まれています。"), code="control")
        text = clean_text(raw)
        # NFKC can lengthen text (㍿ → 株式会社): check the limit again on what is stored.
        limit = getattr(self.fields[field], "max_length", None)
        if limit is not None and len(text) > limit:
            raise ValidationError(
                MAX_LENGTH_MESSAGE, code="max_length", params={"limit_value": limit, "show_value": len(text)}
            )
        return text

    def clean_name(self) -> str:
        name = self._text("name")
        if not name:
            raise ValidationError(_("氏名を入力してください。"), code="required")
        return name

    def clean_email(self) -> str:
        email = self._text("email")
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("メールアドレスを name@example.jp のような形で入力してください。"), code="invalid"
            ) from None
        return email

    def clean_phone(self) -> str:
        raw = clean_number(self._text("phone"))
        try:
            number = phonenumbers.parse(raw, "JP")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(
                _("連絡のつく電話番号を 090-1234-5678 や +81 90 1234 5678 のように入力してください。"),
                code="invalid",
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_jobseeker_number(self) -> str:
        raw = clean_number(self._text("jobseeker_number"))
        if not raw:
            return ""
        match = JOBSEEKER_NUMBER.match(raw)
        if not match:
            raise ValidationError(
                _(
                    "求職番号は、5桁の数字・ハイフン・6〜8桁の数字です（例：40010-12345678）。"
                    "わからない場合は空欄のままで構いません。"
                ),
                code="invalid",
            )
        return f"{match[1]}-{match[2]}"

    def clean_note(self) -> str:
        return self._text("note", allow_newlines=True)

    def applicant(self) -> Applicant:
        data: dict[str, Any] = self.cleaned_data
        number = phonenumbers.parse(data["phone"])
        is_domestic = number.country_code == 81
        shown = phonenumbers.format_number(
            number,
            phonenumbers.PhoneNumberFormat.NATIONAL
            if is_domestic
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        )
        return Applicant(
            name=data["name"],
            email=data["email"],
            email_key=email_key(data["email"]),
            phone=shown,
            phone_key=data["phone"],
            jobseeker_number=data["jobseeker_number"],
            note=data["note"],
            support=bool(data["support"]),
        )


def bind_json(payload: dict[str, Any]) -> tuple[BookingForm, dict[str, list[str]]]:
    """Bind an API body. Booleans must be JSON booleans, not truthy strings."""
    data = {k: v for k, v in payload.items() if k not in ("agree_terms", "support")}
    errors: dict[str, list[str]] = {}
    for key in ("agree_terms", "support"):
        value = payload.get(key, False)
        if not isinstance(value, bool):
            errors[key] = [str(_("true または false を指定してください。"))]
        elif value:
            data[key] = "on"
    return BookingForm(data=data), errors
