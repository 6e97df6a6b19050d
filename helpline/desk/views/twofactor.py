"""An agent's two-factor page: set up an authenticator app, make new recovery
codes, turn it off. The rules are in `helpline.accounts.twofactor`.

Each action has a page of its own with one form and one submit button (the
overview has none: an autofocused code field there sent a person who pressed
Enter into "turn it off"). Making new recovery codes asks for proof, a current code
from the app or the password, so a borrowed unlocked screen cannot replace them.

Recovery codes follow POST/redirect/GET: the POST that makes them (new codes, or
enrolment) keeps them in the session for `SHOWN_SECONDS` and redirects to
`/desk/two-factor/codes/`, whose GET shows them once and forgets them. Reloading
that page never makes new ones (the browser's "resend the form?" would have, and
the old codes would be gone unseen); it shows the proof form instead.
"""

from __future__ import annotations

import time

import django_otp
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpline.accounts import lockout, throttle, twofactor
from helpline.accounts.models import User
from helpline.web.auth import agent_required


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=twofactor.MAX_CODE_LENGTH,
        help_text=gettext_lazy(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class SignInCodeForm(CodeForm):
    """The code step of signing in: the page's only field, so it takes the focus."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["code"].widget.attrs["autofocus"] = True


class ProofForm(forms.Form):
    proof = forms.CharField(
        label=gettext_lazy("Your password, or a code from your app"),
        max_length=4096,
        strip=False,
        help_text=gettext_lazy(
            "To make sure it is you: your Helpline password, or the six digits your "
            "authenticator app shows now."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
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


# New recovery codes waiting to be shown once: {"codes": [...], "at": time}.
CODES_KEY = "helpline.desk.2fa_new_codes"
SHOWN_SECONDS = 5 * 60


def _show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The redirect of POST/redirect/GET: the codes wait in the session."""
    request.session[CODES_KEY] = {"codes": codes, "at": time.time()}
    return redirect("desk:two_factor_codes")


def _waiting_codes(request: HttpRequest) -> list[str]:
    kept = request.session.pop(CODES_KEY, None)
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > SHOWN_SECONDS:
        return []
    return [str(code) for code in kept.get("codes", [])]


# One or two wrong codes make django-otp pause for a second or two: a typo, said
# plainly. From this many in a row the pause doubles each time and is worth a warning.
TOO_MANY = 3


def too_soon(user: User, code: str) -> str:
    """The message when django-otp will not check a code yet, or ""."""
    pause = twofactor.pause_before_next_try(user, code)
    seconds = pause.seconds
    if not seconds:
        return ""
    if pause.failures < TOO_MANY:
        return ngettext(
            "Wait a second and try again.", "Wait %(seconds)d seconds and try again.", seconds
        ) % {"seconds": seconds}
    if not twofactor.is_app_code(code):
        return ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second, then try again.",
            "Too many wrong codes in a row: wait %(seconds)d seconds, then try again.",
            seconds,
        ) % {"seconds": seconds}
    return ngettext(
        "Too many wrong codes in a row: wait %(seconds)d second, then enter the "
        "newest code your app shows.",
        "Too many wrong codes in a row: wait %(seconds)d seconds, then enter the "
        "newest code your app shows.",
        seconds,
    ) % {"seconds": seconds}


def wrong_code(code: str, app_text: str) -> str:
    """The message for a code that was checked and refused: a recovery code may
    have been used already (each works once), which an app's code text would hide."""
    if twofactor.is_recovery_code(code):
        return _("That recovery code is not right or has been used.")
    return app_text


@never_cache
@require_safe
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
            return _show_codes(request, codes)
        throttle.login_failed(request, user.username)
        form.add_error("code", _("That code is not right. Try the newest one the app shows."))
    return _page(request, form, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@agent_required
def new_codes(request: HttpRequest) -> HttpResponse:
    """GET: the codes just made, once; else the proof form. POST: proof, then new
    codes, shown by the GET it redirects to."""
    user = _user(request)
    if request.method == "GET" and (codes := _waiting_codes(request)):
        return render(request, "desk/two_factor_codes.html", {"nav": "two_factor", "codes": codes})
    if not user.otp_enrolled:
        return redirect("desk:two_factor")
    form = ProofForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        proof = form.cleaned_data["proof"]
        if throttle.login_blocked(request, user.username):
            return lockout.lockout_page(request, user.username)
        # Six digits are a code from the app, which django-otp may make wait.
        if twofactor.is_app_code(proof) and (wait := too_soon(user, proof)):
            form.add_error("proof", wait)
            status = 429
        elif twofactor.proves_identity(user, proof):
            return _show_codes(request, twofactor.new_recovery_codes(user))
        else:
            throttle.login_failed(request, user.username)
            form.add_error(
                "proof", _("That is neither your password nor the code your app shows now.")
            )
            status = 400
    elif request.method == "POST":
        status = 400
    context = {"nav": "two_factor", "form": form}
    return render(request, "desk/two_factor_new_codes.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@agent_required
def disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.otp_enrolled:
        return redirect("desk:two_factor")
    if twofactor.is_required(user):
        messages.error(request, _("Administrators must keep two-factor sign-in on."))
        return redirect("desk:two_factor")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if throttle.login_blocked(request, user.username):
            return lockout.lockout_page(request, user.username)
        if wait := too_soon(user, code):
            form.add_error("code", wait)
            status = 429
        elif twofactor.verify(user, code) is not None:
            twofactor.disable(user)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("desk:two_factor")
        else:
            throttle.login_failed(request, user.username)
            form.add_error("code", wrong_code(code, _("That code is not right.")))
            status = 400
    elif request.method == "POST":
        status = 400
    context = {"nav": "two_factor", "form": form}
    return render(request, "desk/two_factor_disable.html", context, status=status)
