"""Access records (R10), office administrators only: a stub until built."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from console.access import office_page as office_view
from console.models import Role
from offices.models import Office


@office_view(role=Role.OFFICE_ADMIN)
def access_records(request: HttpRequest, office: Office) -> HttpResponse:
    raise Http404
