"""Statistics per office and week (R10): built by the statistics work; a stub until then."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from console.access import office_page as office_view
from offices.models import Office


@office_view()
def statistics(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404


@office_view()
def statistics_csv(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404
