from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from console.admin_site import OfficeScopedAdmin
from console.models import AuditEntry, StaffMembership


@admin.register(StaffMembership)
class StaffMembershipAdmin(OfficeScopedAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["role", "office"]


@admin.register(AuditEntry)
class AuditEntryAdmin(OfficeScopedAdmin):
    """R11: read-only; office administrators see their offices' entries."""

    list_display = ["at", "username", "office", "action", "target", "records", "ip_address"]
    list_filter = ["action", "office"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
