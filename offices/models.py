from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.validators import EMPTY_VALUES, RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from offices.schedule import WEEKDAYS, SlotRule
from offices.validation import (
    validate_horizon_days,
    validate_meeting_url,
    validate_minutes,
    validate_nth,
    validate_seats,
    validate_times,
    validate_timezone,
    validate_weekdays,
)


def new_revision() -> int:
    """A fresh value for Office.revision: random, so that no value comes back after a rollback."""
    return secrets.randbits(62)


office_code_validator = RegexValidator(
    r"^[a-z0-9-]+$", _("半角英小文字・数字・ハイフンだけを使ってください。")
)


class Office(models.Model):
    """A public employment office that offers online consultations."""

    code = models.CharField(_("コード"), max_length=64, unique=True, validators=[office_code_validator])
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(
        _("英語名"), max_length=200, blank=True, help_text=_("英語のページに表示する名称。空欄なら日本語名。")
    )
    phone = models.CharField(_("電話番号"), max_length=32)
    timezone = models.CharField(
        _("タイムゾーン"), max_length=64, default="Asia/Tokyo", validators=[validate_timezone]
    )
    capacity = models.PositiveSmallIntegerField(_("1枠あたりの席数"), default=1, validators=[validate_seats])
    horizon_days = models.PositiveSmallIntegerField(
        _("予約受付期間（日）"), default=60, validators=[validate_horizon_days]
    )
    meeting_service = models.CharField(
        _("会議サービス"),
        max_length=100,
        default="TeleOffice",
        help_text=_("利用者に案内する会議アプリの名前。"),
    )
    meeting_url = models.URLField(
        _("会議リンク"),
        max_length=500,
        help_text=_("固定の会議室URL、または予約ごとの会議室を作る {room} 入りのURLテンプレート。"),
        validators=[validate_meeting_url],
    )
    # Changed by the database itself (triggers, migration 0005) to a new random value on every
    # insert, update or delete of the office's slot rules, closures or terms versions, and of
    # any standard terms version, whoever writes: loader, console, admin or a shell. Read with
    # the office row, it tells offices.timetable whether what a process remembers still holds.
    revision = models.BigIntegerField(default=new_revision, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("窓口")
        verbose_name_plural = _("窓口")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The database keeps `revision`: writing back the value read earlier could hide a change.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "revision"
            ]
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """The name for the language being rendered: the English one on English pages and mail."""
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def slot_rules(self) -> list[SlotRule]:
        # Ordered here, not by Meta.ordering, which would join the office table for its code.
        return [rule.as_rule() for rule in self.rules.order_by("position", "pk")]

    def closed_dates(self, first: date, last: date) -> dict[date, str]:
        rows = self.closures.filter(date__gte=first, date__lte=last).order_by()
        return {row.date: row.reason for row in rows}


class SlotRuleRow(models.Model):
    """The stored form of a schedule.SlotRule."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    weekdays = models.JSONField(help_text='e.g. ["tue", "thu"]', validators=[validate_weekdays])
    nth = models.JSONField(
        default=list, blank=True, help_text="e.g. [2, 4]; empty: every week", validators=[validate_nth]
    )
    times = models.JSONField(help_text='e.g. ["17:15", "18:15"]', validators=[validate_times])
    minutes = models.PositiveSmallIntegerField(default=30, validators=[validate_minutes])
    capacity = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_seats])

    class Meta:
        ordering = ["office", "position"]
        verbose_name = _("枠の規則")
        verbose_name_plural = _("枠の規則")

    def __str__(self) -> str:
        return f"{','.join(self.weekdays)} {','.join(self.times)}"

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        if self.nth in EMPTY_VALUES:
            self.nth = []  # left blank in a form: every week, as the help text says
        super().clean_fields(exclude)

    def as_rule(self) -> SlotRule:
        return SlotRule(
            weekdays=frozenset(WEEKDAYS.index(d) for d in self.weekdays),
            nth=frozenset(self.nth or ()),
            times=tuple(time.fromisoformat(t) for t in self.times),
            minutes=self.minutes,
            capacity=self.capacity,
        )


class Closure(models.Model):
    """An extra closed day entered by staff (R3)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("日付"))
    reason = models.CharField(_("理由"), max_length=200, blank=True)

    class Meta:
        ordering = ["office", "date"]
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="one_closure_a_day")]
        verbose_name = _("臨時閉庁日")
        verbose_name_plural = _("臨時閉庁日")

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


@dataclass(frozen=True)
class TermsText:
    title: str
    body: str
    lang: str  # the language the text is written in, for <… lang>
    translated: bool  # an English rendering; the Japanese text is the one agreed


class PublishedTermsError(Exception):
    """A published terms version was about to be rewritten (R12)."""


# What a person agrees to: once saved, none of these may change.
TERMS_CONTENT = ("office_id", "version", "effective_date", "title", "body", "title_en", "body_en")


class TermsQuerySet(models.QuerySet["TermsVersion"]):
    def update(self, **kwargs: Any) -> int:
        if set(kwargs) & ({*TERMS_CONTENT, "office"}):
            raise PublishedTermsError("published terms versions are never rewritten")
        return super().update(**kwargs)

    def standard(self) -> TermsQuerySet:
        return self.filter(office__isnull=True)


class TermsVersion(models.Model):
    """A published version of terms of use (R4, R12).

    A row without an office is a version of the deployment's standard terms,
    used by every office that has no terms of its own in force.
    """

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="terms_versions", null=True, blank=True
    )
    version = models.CharField(_("版"), max_length=32)
    effective_date = models.DateField(_("効力発生日"))
    title = models.CharField(_("表題"), max_length=200)
    body = models.TextField(_("本文"))
    title_en = models.CharField(_("表題（英語訳）"), max_length=200, blank=True)
    body_en = models.TextField(_("本文（英語訳）"), blank=True)

    objects = TermsQuerySet.as_manager()

    class Meta:
        ordering = ["office", "-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "version"], name="unique_terms_version"),
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(office__isnull=True),
                name="unique_standard_terms_version",
            ),
        ]
        verbose_name = _("利用規約の版")
        verbose_name_plural = _("利用規約の版")

    def __str__(self) -> str:
        return f"{self.office.code if self.office else 'standard'} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # R12: bookings point at the text they agreed to; it never changes under them.
        if self.pk is not None:
            stored = TermsVersion.objects.filter(pk=self.pk).values(*TERMS_CONTENT).first()
            if stored is not None and any(stored[f] != getattr(self, f) for f in TERMS_CONTENT):
                raise PublishedTermsError(
                    f"terms version {self.version!r} is published; give a new text a new version"
                )
        super().save(*args, **kwargs)

    @property
    def is_standard(self) -> bool:
        return self.office_id is None

    def text_for(self, language: str) -> TermsText:
        """The text to show a reader of `language`: the English rendering where there is one."""
        if language == "en" and self.body_en:
            return TermsText(title=self.title_en or self.title, body=self.body_en, lang="en", translated=True)
        return TermsText(title=self.title, body=self.body, lang="ja", translated=False)
