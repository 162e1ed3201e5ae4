"""R11: every staff read of personal data leaves an entry, written in the same request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from console.models import AuditEntry
from madoguchi.clientip import client_ip
from offices.models import Office


def audit(request: HttpRequest, *, office: Office, action: str, target: str, records: int) -> AuditEntry:
    user = request.user
    return AuditEntry.objects.create(
        at=timezone.now(),
        user=user if user.is_authenticated else None,
        username=user.get_username(),
        office=office,
        action=action,
        target=target[:200],
        records=records,
        ip_address=client_ip(request) or None,
    )
