from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model
from django.http import HttpRequest

from console.admin_site import OfficeScopedAdmin
from offices.models import Closure, Office, SlotRuleRow, TermsVersion


# Stacked, not tabular: a tabular inline heads its columns with <th> and leaves each input
# without a <label>, which screen readers (and axe, tests/browser/test_accessibility.py) reject.
class SlotRuleInline(admin.StackedInline):
    # Its fields carry offices.validation: a bad day, time or length is a field error, not a saved rule.
    model = SlotRuleRow
    extra = 0


class ClosureInline(admin.StackedInline):
    model = Closure
    extra = 0


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdmin):
    office_path = ""  # the row is the office
    list_display = ["code", "name", "phone", "capacity", "horizon_days"]
    inlines = [SlotRuleInline, ClosureInline]
    # A link typed without a scheme becomes https://, as in Django 6 (5.2 warns unless told).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request: HttpRequest, obj: Office | None = None) -> list[str]:
        # The code is in every link already mailed; only a superuser may change it.
        return [] if request.user.is_superuser else ["code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser


@admin.register(TermsVersion)
class TermsVersionAdmin(OfficeScopedAdmin):
    list_display = ["office", "version", "effective_date", "title"]
    list_filter = ["office"]
    content = ["office", "version", "effective_date", "title", "body", "title_en", "body_en"]
    fields = tuple(content)

    def get_readonly_fields(self, request: HttpRequest, obj: TermsVersion | None = None) -> list[str]:
        # R12: a saved version is published; a new text needs a new version.
        return list(self.content) if obj is not None else []

    def get_form(
        self, request: HttpRequest, obj: TermsVersion | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            # The standard terms ship with the project; staff publish an office's own.
            form.base_fields["office"].required = True
        return form
