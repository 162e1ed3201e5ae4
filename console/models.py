"""Staff accounts' offices and roles, and the audit log of personal-data reads (R11, SPEC §9)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from offices.models import Office


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", _("相談員")
    OFFICE_ADMIN = "office_admin", _("窓口管理者")


class StaffMembership(models.Model):
    """A staff account works at an office in a role; it sees only its offices."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("役割"), max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["office", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "office"], name="one_role_per_office")]
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self) -> str:
        return f"{self.user} @ {self.office.code} ({self.role})"


class AuditAction(models.TextChoices):
    DAY_VIEW = "day_view", _("1日の予約を表示")
    SEARCH = "search", _("検索")
    PERSON = "person", _("利用者の履歴を表示")
    REFUSALS = "refusals", _("利用お断りの一覧を表示")
    EXPORT = "export", _("CSVを出力")
    ACCESS_RECORDS = "access_records", _("アクセス記録を表示")


class AppendOnly(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """R11: who saw or exported which personal data of which office, and when.

    Written in the same request as the read; never changed or deleted.
    """

    at = models.DateTimeField(_("日時"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("職員"),
    )
    username = models.CharField(_("ユーザー名"), max_length=150)  # kept if the account goes
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("窓口"))
    action = models.CharField(_("操作"), max_length=16, choices=AuditAction.choices)
    target = models.CharField(_("対象"), max_length=200, blank=True)
    records = models.PositiveIntegerField(_("件数"))
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)

    objects = AppendOnly.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("監査記録")
        verbose_name_plural = _("監査記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.office_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")


class AccessKind(models.TextChoices):
    # In their own context: the same words elsewhere are page titles ("Confirm your booking").
    BOOKING = "booking", pgettext_lazy("access record", "予約の申し込み")
    CONFIRM = "confirm", pgettext_lazy("access record", "予約の確定")
    CANCEL = "cancel", pgettext_lazy("access record", "予約のキャンセル")
    STAFF_LOGIN = "staff_login", pgettext_lazy("access record", "職員のログイン")
    STAFF_LOGIN_FAILED = "staff_login_failed", pgettext_lazy("access record", "職員のログイン失敗")


STAFF_LOGIN_KINDS = [AccessKind.STAFF_LOGIN, AccessKind.STAFF_LOGIN_FAILED]


class AccessRecordQuerySet(models.QuerySet["AccessRecord"]):
    """R10: records are never changed; they go only when their retention period is over."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("access records cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("access records are deleted only by retention (purge_expired)")

    def for_office(self, office: Office) -> AccessRecordQuerySet:
        """What the office's administrators see: accesses about the office, and its staff's logins.

        A staff login belongs to every office of the account, as its memberships are now.
        """
        members = StaffMembership.objects.filter(office=office).values("user_id")
        return self.filter(
            models.Q(office=office)
            | models.Q(office__isnull=True, kind__in=STAFF_LOGIN_KINDS, user__in=members)
        )

    def purge_expired(self, *, now: datetime, batch: int = 1000) -> int:
        """Delete the records made MADOGUCHI_ACCESS_LOG_DAYS or more before `now`: the one way out.

        It can delete nothing younger, whoever calls it. In batches, so that a first run
        over a long backlog holds no long transaction.
        """
        cutoff = now - timedelta(days=settings.MADOGUCHI_ACCESS_LOG_DAYS)
        deleted = 0
        while True:
            expired = self.filter(at__lte=cutoff).order_by("pk").values_list("pk", flat=True)
            ids = list(expired[:batch])
            if not ids:
                return deleted
            # The plain QuerySet's delete: this method is the guard's one exception.
            count, _by_model = models.QuerySet.delete(self.filter(pk__in=ids))
            deleted += count


class AccessRecord(models.Model):
    """R10: one use of a public booking endpoint or one staff login, with the device that made it.

    No token is ever stored (SPEC §5, §8): the path is kept with tokens redacted and the
    office is looked up from the booking the token names. Never changed; deleted after
    MADOGUCHI_ACCESS_LOG_DAYS by bookings.retention.
    """

    at = models.DateTimeField(_("日時"), db_index=True)
    kind = models.CharField(_("種類"), max_length=20, choices=AccessKind.choices)
    method = models.CharField(_("メソッド"), max_length=10)
    path = models.CharField(_("パス"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("応答"))
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    user_agent = models.CharField(_("ユーザーエージェント"), max_length=300, blank=True)
    # The booking's office when known; a staff login belongs to the account's offices (null here).
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("窓口")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("職員"),
    )
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True)  # kept if the account goes

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["office", "at"]),
            models.Index(fields=["user", "at"]),
        ]
        verbose_name = _("アクセス記録")
        verbose_name_plural = _("アクセス記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.status_code} {self.ip_address or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("access records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("access records are deleted only by retention (purge_expired)")
