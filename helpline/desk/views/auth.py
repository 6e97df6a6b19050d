"""Agents signing in and out, with a second factor, and resetting a password.

Signing in is two steps for an agent enrolled in two-factor login: the password
step only remembers, in the session, who passed it (and for how long, and with
which password); the session is signed in (`login`) only when the code step
accepts a code from the app or a recovery code. Until then the session is as
anonymous as before, so no page can be reached half signed in.

Every failure (password or code) counts against the client address and the
username (`helpline.accounts.throttle`); over either bound the attempt is refused
before any password hash is computed.
"""

from __future__ import annotations

import time
from typing import Any

import django_otp
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from helpline.accounts import lockout, throttle, twofactor
from helpline.accounts.models import User
from helpline.accounts.passwords import Audience, valid_for
from helpline.desk.forms import LoginForm
from helpline.desk.views.twofactor import SignInCodeForm, too_soon, wrong_code
from helpline.lib.access import public, signed_link
from helpline.lib.landing import landing
from helpline.web import passwords as web_passwords

# Who passed the password step and waits for the code step: {user, hash, next, at}.
PENDING_KEY = "helpline.desk.2fa_pending"
# The code step must follow the password step within this many seconds.
PENDING_SECONDS = 5 * 60
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: `redirect()` would take a bare word for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        # A form's address (a ticket's reply) is not a page: its ticket instead.
        return landing(target, reverse("desk:dashboard"))
    return ""


def _locked(request: HttpRequest, username: str = "") -> HttpResponse:
    return lockout.lockout_page(request, username)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        if throttle.login_blocked(request, username):
            return _locked(request, username)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return _locked(request, username)
        if user is not None and hasattr(user, "agent") and user.is_active:
            if user.otp_enrolled:
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "hash": user.get_session_auth_hash(),
                    "next": next_url,
                    "at": time.time(),
                }
                return redirect("desk:login_code")
            login(request, user)
            return redirect(next_url or "desk:dashboard")
        throttle.login_failed(request, username)
        error = _("That username and password do not match an active agent.")
    return render(
        request,
        "desk/login.html",
        {"form": form, "error": error, "next": next_url},
        status=400 if error else 200,
    )


def _pending_user(request: HttpRequest) -> tuple[User, str] | None:
    """The agent who passed the password step in this session, lately, and whose
    password has not changed since; with where they were going."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(
        pk=user_id, is_active=True, agent__isnull=False, otp_enrolled=True
    ).first()
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        return None
    return user, str(pending.get("next") or "")


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app, or a recovery code."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        if request.method == "POST":
            messages.error(request, _("Your sign-in took too long. Please start again."))
        return redirect("desk:login")
    user, next_url = found
    form = SignInCodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttle.login_blocked(request, user.username):
            return _locked(request, user.username)
        # django-otp refuses even the right code for a moment after wrong ones:
        # say so, rather than "not right" about a code that was.
        if wait := too_soon(user, form.cleaned_data["code"]):
            return render(
                request, "desk/login_code.html", {"form": form, "error": wait}, status=429
            )
        device = twofactor.verify(user, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_KEY]
            login(request, user, backend=BACKEND)
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; each works once. "
                        "%(left)s left: make new ones on your two-factor page."
                    )
                    % {"left": left},
                )
            return redirect(next_url or "desk:dashboard")
        throttle.login_failed(request, user.username)
        error = wrong_code(
            form.cleaned_data["code"], _("That code is not right. Try the newest code.")
        )
        status = 400
    return render(request, "desk/login_code.html", {"form": form, "error": error}, status=status)


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("desk:login")


# --- password reset -------------------------------------------------------------------


@public
class ResetRequestView(web_passwords.ResetRequestView):
    template_name = "desk/password_reset.html"
    success_url = reverse_lazy("desk:password_reset_sent")
    audience = Audience.AGENTS

    def form_valid(self, form: Any) -> HttpResponse:
        form.queue()
        # Shown on the next page, whatever happened: it tells nothing.
        self.request.session["helpline.reset_email"] = form.cleaned_data["email"]
        return redirect(self.success_url)


@public
@never_cache
@require_http_methods(["GET"])
def reset_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get("helpline.reset_email", "")
    context = {"email": email, "valid_for": valid_for()}
    return render(request, "desk/password_reset_sent.html", context)


@signed_link
class ResetConfirmView(web_passwords.ResetConfirmView):
    template_name = "desk/password_reset_confirm.html"
    success_url = reverse_lazy("desk:login")
    audience = Audience.AGENTS
