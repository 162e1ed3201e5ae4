"""Office administration (R3, R12, SPEC §9): closures, capacity and slot rules, terms versions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from console.access import office_page as office_view
from console.models import Role
from offices.models import Office


@office_view(role=Role.OFFICE_ADMIN)
def closures(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404


@office_view(role=Role.OFFICE_ADMIN)
def timetable(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404


@office_view(role=Role.OFFICE_ADMIN)
def terms_versions(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404
