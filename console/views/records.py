"""Access records (R10): office administrators only; read here, never changed anywhere."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from console.access import office_page as office_view
from console.audit import audit
from console.models import AccessKind, AccessRecord, AuditAction, Role
from console.views.day import day_bounds
from offices.models import Office


class RecordFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("種類"), choices=[("", _("すべて")), *AccessKind.choices], required=False
    )
    day = forms.DateField(label=_("日付"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


@office_view(role=Role.OFFICE_ADMIN)
def access_records(request: HttpRequest, office: Office) -> HttpResponse:
    form = RecordFilter(request.GET)
    records = AccessRecord.objects.for_office(office).select_related("office")
    form.is_valid()  # a filter that does not parse is shown as an error and left out
    if kind := form.cleaned_data.get("kind"):
        records = records.filter(kind=kind)
    if day := form.cleaned_data.get("day"):
        first, last = day_bounds(office, day)  # the office's calendar day
        records = records.filter(at__gte=first, at__lt=last)
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    # R11: the records carry job seekers' addresses; reading them is audited like any personal data.
    audit(
        request,
        office=office,
        action=AuditAction.ACCESS_RECORDS,
        target=request.GET.urlencode(),
        records=len(page),
    )
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "console/access_records.html",
        {
            "office": office,
            "form": form,
            "page": page,
            "filters": filters.urlencode(),
            "access_log_days": settings.MADOGUCHI_ACCESS_LOG_DAYS,
        },
    )
