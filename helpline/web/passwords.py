"""The password reset pages of the portal and the desk: Django's views and form,
for one kind of login each (see helpline.accounts.passwords for the tokens and
the rules, helpline.notify.accountmail for the mail the worker writes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from helpline.accounts.lockout import clear_failures
from helpline.accounts.models import User
from helpline.accounts.passwords import Audience, reset_tokens, users_for
from helpline.lib.ratelimit import per_address, setting


class ResetRequestForm(PasswordResetForm):
    """Django's form; what was typed goes to the worker (see the module doc)."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, *args: Any, audience: Audience, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience = audience

    def has_field_errors(self) -> bool:
        return bool(self.errors)

    def get_users(self, email: str) -> Iterator[User]:
        yield from users_for(self.audience, email)

    def queue(self) -> None:
        """Hand the typed address to the worker: one task, whatever was typed."""
        from helpline.notify.tasks import mail_password_reset

        mail_password_reset.enqueue(str(self.audience), self.cleaned_data["email"])


# --- the pages ---------------------------------------------------------------------------


@method_decorator(
    [never_cache, per_address(setting("HELPLINE_ACCOUNT_MAIL_PER_ADDRESS"))], name="dispatch"
)
class ResetRequestView(PasswordResetView):
    """Asking for a reset link, for one kind of login; subclasses say which, and
    answer the same page whatever was typed."""

    # A form page: shown, and posted (Django's FormView would take PUT as a POST).
    http_method_names = ["get", "head", "post"]
    form_class = ResetRequestForm
    audience: Audience

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "audience": self.audience}


@method_decorator(never_cache, name="dispatch")
class LinkView(PasswordResetConfirmView):
    """Django's view behind a link we mailed (it moves the token out of the URL
    before showing the form, so no Referer carries it). A link that does not work
    answers 404, with the page that says so."""

    http_method_names = ["get", "head", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Before Django's dispatch reads the link (and moves its token into the
        # session): another method is refused as on every page.
        if (request.method or "").lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if not self.validlink:
            kwargs["status"] = 404
        return super().render_to_response(context, **kwargs)


class ResetConfirmView(LinkView):
    """Choosing a new password behind a reset link, for one kind of login only: a
    desk link does not work on the portal, nor a portal link on the desk."""

    token_generator = reset_tokens
    audience: Audience

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        if user is None or hasattr(user, "agent") != (self.audience == Audience.AGENTS):
            return None
        return user

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever reads the account's mailbox may sign in at once: the failed
        # attempts that locked it (maybe somebody else's) are forgotten.
        clear_failures(form.user.get_username(), form.user.email)
        messages.success(self.request, _("Your password is changed. Sign in with it now."))
        return response
