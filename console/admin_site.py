"""Django's admin for configuration, behind the staff login and the second factor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from console.access import gate, offices_for


class StaffAdminSite(admin.AdminSite):
    site_header = "madoguchi"
    site_title = "madoguchi"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and gate(request) is None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One way in for staff (SPEC §9): the console's login, with its lockout and second factor.
        if not request.user.is_authenticated:
            return redirect_to_login(request.GET.get("next") or request.get_full_path())
        if (denied := gate(request)) is not None:
            return denied
        raise PermissionDenied  # signed in, but the admin is not for this account


class OfficeScopedAdmin(admin.ModelAdmin):
    """Rows of the account's offices only (`office_path` leads from the row to its office)."""

    office_path = "office"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        if self.office_path == "":
            return rows.filter(pk__in=offices_for(request.user))
        return rows.filter(**{f"{self.office_path}__in": offices_for(request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "office" and not request.user.is_superuser:
            kwargs["queryset"] = offices_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Another office's row does not exist for this account (SPEC §9: 403 or 404).
        raise Http404

    def has_object_permission(self, request: HttpRequest, obj: Model | None) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.has_object_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.has_object_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.has_object_permission(request, obj)
