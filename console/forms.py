"""Forms of the office administration pages. The rules themselves live on the models
(offices.validation), so these forms, the admin and load_offices refuse the same values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from offices.models import Office, SlotRuleRow, TermsVersion
from offices.schedule import WEEKDAYS

WEEKDAY_LABELS = [
    ("mon", _("月")),
    ("tue", _("火")),
    ("wed", _("水")),
    ("thu", _("木")),
    ("fri", _("金")),
    ("sat", _("土")),
    ("sun", _("日")),
]
assert [code for code, _label in WEEKDAY_LABELS] == list(WEEKDAYS)


class ClosureForm(forms.Form):
    date = forms.DateField(label=_("日付"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("理由"), max_length=200, help_text=_("利用者へのお知らせメールにも載ります。")
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day < self.today:
            raise forms.ValidationError(_("過去の日は閉庁日にできません。"))
        return day


class OfficeTimetableForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = ["capacity", "horizon_days"]


class TimesField(forms.CharField):
    """Start times typed as "17:15, 18:15"; stored as a list."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        parts = [p.strip() for p in text.replace("、", ",").replace("，", ",").split(",")]
        return [p for p in parts if p]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


class SlotRuleForm(forms.ModelForm):
    weekdays = forms.MultipleChoiceField(
        label=_("曜日"), choices=WEEKDAY_LABELS, widget=forms.CheckboxSelectMultiple
    )
    nth = forms.TypedMultipleChoiceField(
        label=_("第何週（空欄なら毎週）"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    times = TimesField(label=_("開始時刻（カンマ区切り）"), help_text=_("例：17:15, 18:15"))

    class Meta:
        model = SlotRuleRow
        fields = ["weekdays", "nth", "times", "minutes", "capacity"]
        labels = {"minutes": _("1枠の長さ（分）"), "capacity": _("席数（空欄なら窓口の席数）")}


SlotRuleFormSet = forms.inlineformset_factory(
    Office, SlotRuleRow, form=SlotRuleForm, extra=1, can_delete=True, min_num=1, validate_min=True
)


class TermsVersionForm(forms.ModelForm):
    class Meta:
        model = TermsVersion
        fields = ["version", "effective_date", "title", "body", "title_en", "body_en"]
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}),
            "body": forms.Textarea(attrs={"rows": 12}),
            "body_en": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "version": _(
                "例：2027-04-01。公開した版は変更できません。文面を変えるときは新しい版として公開します。"
            ),
            "effective_date": _(
                "この日から新しい予約に適用されます。それまではサイトで改定をお知らせします。"
            ),
        }

    def __init__(self, *args: Any, office: Office, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        self.today = today

    def clean_version(self) -> str:
        version: str = self.cleaned_data["version"].strip()
        if TermsVersion.objects.filter(office=self.office, version=version).exists():
            raise forms.ValidationError(_("この版はすでに公開されています。新しい版の名前を付けてください。"))
        return version

    def clean_effective_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["effective_date"]
        if day < self.today:
            # R12: a version cannot apply to bookings already made under another.
            raise forms.ValidationError(_("効力発生日は今日以降の日付にしてください。"))
        return day
