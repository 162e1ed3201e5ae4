from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from offices.models import Closure, Office, SlotRuleRow, TermsVersion


class SlotRuleInline(admin.TabularInline):
    model = SlotRuleRow
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "capacity", "horizon_days"]
    inlines = [SlotRuleInline, ClosureInline]


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
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
