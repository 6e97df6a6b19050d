"""Django's admin site, signed in to through the desk.

An agent who is not an administrator gets a page that says so, with the way back
to the desk (403), instead of a sign-in form they have already passed.

The admin's own login form would be a second way in: without the desk's
two-factor step and without its throttling across usernames. So its login page
sends people to the desk's sign-in (which comes back here), and the admin lets in
only staff whose session passed the second factor where they have one, and, with
`HELPLINE_REQUIRE_2FA`, only those who have one. (`TwoFactorMiddleware` already
redirects such requests; this is the admin's own check, should that change.)
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from helpline.accounts.twofactor import is_administrator, is_required
from helpline.lib.errorpages import page


class HelplineAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        user: Any = request.user
        agent = getattr(user, "agent", None) if user.is_authenticated else None
        if agent is not None and user.is_active and not is_administrator(user):
            # Signed in already, as an agent who is no administrator: a sign-in form
            # would only puzzle them (signing in again changes nothing). Say why.
            context = {"name": agent.name}
            return page(request, "403_not_admin.html", 403, context)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = ""
        return redirect_to_login(target or reverse("admin:index"), reverse("desk:login"))

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not super().has_permission(request):
            return False
        if user.otp_enrolled:
            return bool(user.is_verified())
        return not is_required(user)
