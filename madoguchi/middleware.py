"""Security headers on every response (SPEC §5, §8) and a guard against NUL in requests."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def _policy(**relaxed: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        # No site may frame ours (clickjacking); X-Frame-Options says the same to old browsers.
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    directives.update({name.replace("_", "-"): value for name, value in relaxed.items()})
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CSP = _policy()
# Django's admin has one inline <style> (the change list); scripts stay files of our own.
ADMIN_CSP = _policy(style_src="'self' 'unsafe-inline'")

# Powerful features are off everywhere; only the self-check page (R14) may ask for the
# camera and microphone, and then only for itself. (Autoplay stays allowed: the self-check's
# muted camera preview plays by itself.)
_DENIED = (
    "accelerometer",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS = ", ".join(["camera=()", "microphone=()", *(f"{name}=()" for name in _DENIED)])
CHECK_PERMISSIONS = ", ".join(["camera=(self)", "microphone=(self)", *(f"{name}=()" for name in _DENIED)])

# Pages that show a booking by its link token (SPEC §5), and the staff pages with personal
# data: no Referer carries the token away, and no cache keeps the page for the next person
# at a shared terminal.
PRIVATE_PREFIXES = ("/b/", "/staff/")
LINK_PREFIX = "/b/"


def permissions_for(path: str) -> str:
    return CHECK_PERMISSIONS if path.startswith("/check/") else PERMISSIONS


class ContentSecurityPolicy:
    """The strict CSP and the other security headers, on every response including errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        headers = response.headers
        headers.setdefault("Content-Security-Policy", ADMIN_CSP if path.startswith("/admin/") else CSP)
        headers.setdefault("Permissions-Policy", permissions_for(path))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if path.startswith(LINK_PREFIX):
            # Set, not defaulted: SecurityMiddleware's site-wide same-origin must not win here.
            headers["Referrer-Policy"] = "no-referrer"
        if path.startswith(PRIVATE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response


class RefuseNul:
    """A NUL in the path or the query string of a page is answered 400 before any view runs.

    No URL of the site has one, and PostgreSQL refuses a NUL in a query parameter with an
    error, so a view passing it on would answer 500. The JSON API checks its own input and
    answers in its error envelope (SPEC §6); form fields refuse NUL in their validation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and (
            "\x00" in request.path
            or any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists())
        ):
            raise BadRequest("NUL in the request")
        return self.get_response(request)


class ForwardedProto:
    """X-Forwarded-Proto counts only from a proxy named in MADOGUCHI_TRUSTED_PROXIES.

    SECURE_PROXY_SSL_HEADER makes Django believe the header from anyone; a client talking
    plain http straight to the app could claim https and get past the redirect.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR", "") not in settings.MADOGUCHI_TRUSTED_PROXIES:
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


STAFF_PREFIXES = ("/staff/", "/admin/")
LAST_SEEN = "madoguchi_staff_last_seen"


class StaffIdleTimeout:
    """A staff session ends after MADOGUCHI_STAFF_IDLE_SECONDS without a request (R11).

    Only on the staff console and the admin: public pages keep no clock in the session, so
    they neither create nor rewrite one on every view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(STAFF_PREFIXES):
            return self.get_response(request)
        now = timezone.now().timestamp()
        if request.user.is_authenticated:
            last_seen = request.session.get(LAST_SEEN)
            if isinstance(last_seen, int | float) and now - last_seen > settings.MADOGUCHI_STAFF_IDLE_SECONDS:
                logout(request)  # flushes the session: the next page asks for the password again
                return redirect_to_login(request.get_full_path())
        response = self.get_response(request)
        # After the view, so that the sign-in request itself starts the clock.
        if request.user.is_authenticated:
            request.session[LAST_SEEN] = now
        return response
