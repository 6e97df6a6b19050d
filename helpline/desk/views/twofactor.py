"""An agent's two-factor page: set up an authenticator app, make new recovery
codes, turn it off. The rules are in `helpline.accounts.twofactor`.

Recovery codes are shown once, in the answer to the POST that made them (never
stored in the session, never on a page that can be loaded again).
"""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts import lockout, throttle, twofactor
from helpline.accounts.models import User
from helpline.desk.views.common import agent_required


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=twofactor.MAX_CODE_LENGTH,
        help_text=gettext_lazy(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class AppCodeForm(CodeForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["code"]
        field.help_text = _("The six digits your authenticator app shows for Helpline now.")
        field.widget.attrs["inputmode"] = "numeric"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(
    request: HttpRequest, form: forms.Form | None = None, *, status: int = 200
) -> HttpResponse:
    user = _user(request)
    pending = None if user.otp_enrolled else twofactor.pending_device(user)
    context = {
        "nav": "two_factor",
        "enrolled": user.otp_enrolled,
        "required": twofactor.is_required(user),
        "codes_left": twofactor.recovery_codes_left(user) if user.otp_enrolled else 0,
        "pending": pending,
        "qr": twofactor.qr_code(pending) if pending else "",
        "secret": twofactor.secret_text(pending) if pending else "",
        "form": form or (AppCodeForm() if pending else CodeForm()),
    }
    return render(request, "desk/two_factor.html", context, status=status)


def _codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(request, "desk/two_factor_codes.html", {"nav": "two_factor", "codes": codes})


@never_cache
@require_GET
@agent_required
def two_factor(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_POST
@agent_required
def start(request: HttpRequest) -> HttpResponse:
    twofactor.start_enrolment(_user(request))
    return redirect("desk:two_factor")


@never_cache
@require_POST
@agent_required
def confirm(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = AppCodeForm(request.POST)
    if form.is_valid():
        if throttle.login_blocked(request, user.username):
            return lockout.lockout_page(request, user.username)
        codes = twofactor.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            # This session has just proven the app: it stays signed in, verified.
            django_otp.login(request, twofactor.app_device(user))
            return _codes(request, codes)
        throttle.login_failed(request, user.username)
        form.add_error("code", _("That code is not right. Try the newest one the app shows."))
    return _page(request, form, status=400)


@never_cache
@require_POST
@agent_required
def new_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.otp_enrolled:
        return redirect("desk:two_factor")
    return _codes(request, twofactor.new_recovery_codes(user))


@never_cache
@require_POST
@agent_required
def disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.otp_enrolled:
        return redirect("desk:two_factor")
    if twofactor.is_required(user):
        messages.error(request, _("Administrators must keep two-factor sign-in on."))
        return redirect("desk:two_factor")
    form = CodeForm(request.POST)
    if form.is_valid():
        if throttle.login_blocked(request, user.username):
            return lockout.lockout_page(request, user.username)
        if twofactor.verify(user, form.cleaned_data["code"]) is not None:
            twofactor.disable(user)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("desk:two_factor")
        throttle.login_failed(request, user.username)
        form.add_error("code", _("That code is not right."))
    return _page(request, form, status=400)
