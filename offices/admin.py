from django.contrib import admin

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
