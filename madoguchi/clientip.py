"""The client's address, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.MADOGUCHI_TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    # Walk back from the nearest hop; the first address not ours is the client.
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return remote
