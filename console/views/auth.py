"""Staff sign-in (SPEC §9): password with lockout, then the second factor (TOTP)."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.access import is_staff_member, staff_page

LOCKED_OUT = _(
    "ログインに続けて失敗したため、このユーザー名では15分間ログインできません。"
    "時間をおいてから、もう一度お試しください。"
)


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer after 5 failures: the login page saying so, for any username alike."""
    form = AuthenticationForm(request)
    return render(request, "console/login.html", {"form": form, "locked_out": LOCKED_OUT}, status=429)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード（6桁）"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_token(self) -> str:
        return "".join(ch for ch in self.cleaned_data["token"] if ch.isdigit())


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return str(reverse_lazy("console:home"))


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for accounts with an authenticator app set up."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user_has_device(request.user, confirmed=True):
        return redirect("console:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # django-otp throttles each device after failed tokens.
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error(
            "token",
            _(
                "確認コードが正しくないか、期限が切れています。アプリに表示されている新しいコードを入力してください。"
            ),
        )
    return render(request, "console/otp_verify.html", {"form": form, "next": _next(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Pair an authenticator app: scan the code, then prove it with one token."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_staff_member(request.user):
        return render(request, "console/forbidden.html", status=403)
    if user_has_device(request.user, confirmed=True):
        return redirect("console:otp_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect("console:home")
        form.add_error(
            "token", _("確認コードが一致しません。アプリに表示されている新しいコードを入力してください。")
        )
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1d2430", light="#fff")
    secret = device.config_url.split("secret=")[1].split("&")[0]
    return render(
        request,
        "console/otp_setup.html",
        {"form": form, "qr": qr, "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))},
    )


_password_change = auth_views.PasswordChangeView.as_view(
    template_name="console/password_change.html", success_url=reverse_lazy("console:password_changed")
)


@staff_page
def password_change(request: HttpRequest) -> HttpResponse:
    response = _password_change(request)
    assert isinstance(response, HttpResponse)
    return response


@staff_page
def password_changed(request: HttpRequest) -> HttpResponse:
    return render(request, "console/password_changed.html")
