"""The audit log and who may read it: office administrators only (SPEC §9)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.access import office_page as office_view
from console.models import AuditEntry, Role
from offices.models import Office


@office_view(role=Role.OFFICE_ADMIN)
def audit_log(request: HttpRequest, office: Office) -> HttpResponse:
    entries = AuditEntry.objects.filter(office=office).select_related("office")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "console/audit_log.html", {"office": office, "page": page})
