from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from helpline.desk.forms import LoginForm
from helpline.lib.access import public


@public
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: `redirect()` would take a bare word for a URL name.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}
    ):
        next_url = ""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "lockout.html", status=429)
        if user is not None and hasattr(user, "agent") and user.is_active:
            login(request, user)
            return redirect(next_url or "desk:dashboard")
        error = "That username and password do not match an active agent."
    return render(
        request,
        "desk/login.html",
        {"form": form, "error": error, "next": next_url},
        status=400 if error else 200,
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("desk:login")
