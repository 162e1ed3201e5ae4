"""Who may see what (SPEC §9): the one place that decides office scoping and the second factor.

Every staff page goes through `staff_page`, and the admin's querysets through
`offices_for`; no view checks memberships on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import user_has_device

from console.models import Role, StaffMembership
from offices.models import Office

P = ParamSpec("P")


def offices_for(user: User | AnonymousUser) -> QuerySet[Office]:
    """The offices whose data this account may see: its own, or every office for a superuser."""
    if not user.is_authenticated or not user.is_active:
        return Office.objects.none()
    if user.is_superuser:
        return Office.objects.all()
    return Office.objects.filter(memberships__user=user).distinct()


def staff_user(request: HttpRequest) -> User:
    """The signed-in account of a request that passed the gate."""
    assert isinstance(request.user, User)
    return request.user


def role_at(user: User | AnonymousUser, office: Office) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.OFFICE_ADMIN
    return StaffMembership.objects.filter(user=user, office=office).values_list("role", flat=True).first()


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.memberships.exists()))


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """Office administrators and superusers always; counsellors once they have set one up."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.memberships.filter(role=Role.OFFICE_ADMIN).exists():
        return True
    return user_has_device(user, confirmed=True)


def second_factor_missing(request: HttpRequest) -> bool:
    return needs_second_factor(request.user) and not request.user.is_verified()  # type: ignore[union-attr]


def gate(request: HttpRequest, *, second_factor: bool = True) -> HttpResponse | None:
    """Anonymous visitors go to the login page; the second factor comes before personal data."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_staff_member(request.user):
        raise PermissionDenied
    if second_factor and second_factor_missing(request):
        if user_has_device(request.user, confirmed=True):
            return redirect_to_login(request.get_full_path(), "console:otp_verify")
        return redirect("console:otp_setup")
    return None


def staff_page(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A console page that belongs to no office (home, password)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        return gate(request) or view(request, *args, **kwargs)

    return wrapped


def office_page(
    *, role: str = Role.COUNSELLOR
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page under /staff/{office}/: the office is looked up within the account's offices.

    Another office's page is a 404, as if it did not exist; a page that needs
    the administrator role answers 403 to a counsellor of the office.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, office: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if denied := gate(request, second_factor=False):
                return denied
            # Another office's page does not exist for this account, whatever its second factor.
            found = offices_for(request.user).filter(code=office).first()
            if found is None:
                raise Http404
            if denied := gate(request):
                return denied
            request.staff_role = role_at(request.user, found)  # type: ignore[attr-defined]
            if role == Role.OFFICE_ADMIN and request.staff_role != Role.OFFICE_ADMIN:  # type: ignore[attr-defined]
                raise PermissionDenied
            return view(request, found, *args, **kwargs)

        return wrapped

    return decorate
