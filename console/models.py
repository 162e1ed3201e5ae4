"""Staff accounts' offices and roles, and the audit log of personal-data reads (R11, SPEC §9)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
