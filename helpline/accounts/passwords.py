"""Password reset for customers and agents: Django's token generator, forms and
views, our outbox for the mail.

The form answers the same whatever is typed, and the request does the same work
whatever is typed: it hands what was typed to the worker in one task
(`helpline.accounts.tasks.mail_password_reset`) and answers. The worker looks the
address up and, only if it has an active login of the right kind (customers on the
portal, agents on the desk) and its mailbox has not had too many account mails
lately, writes the mail to the outbox. So neither the page nor its timing tells
whether an account exists (a lookup in the request took measurably longer when
one did). A link works once (the token hashes the password and the last login, so
a new password or a sign-in spends it) and for `HELPLINE_PASSWORD_RESET_MINUTES`.
Resetting a password changes nothing about two-factor sign-in: an agent with an
app still needs a code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import get_usage

from helpline.accounts.customers import customers_with_email, normalize_email
from helpline.accounts.language import person_language
from helpline.accounts.lockout import clear_failures
from helpline.accounts.models import User
from helpline.accounts.throttle import per_address, setting
from helpline.notify.accountmail import queue_account_mail
from helpline.notify.models import MailKind


class Audience(StrEnum):
    CUSTOMERS = "customers"
    AGENTS = "agents"


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator, with its own salt and a shorter life than
    PASSWORD_RESET_TIMEOUT (which the 3-day account confirmation needs)."""

    key_salt = "helpline.accounts.passwords.reset"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not super().check_token(user, token) or token is None:
            return False
        try:
            made = base36_to_int(token.partition("-")[0])
        except ValueError:
            return False
        return self._num_seconds(self._now()) - made <= reset_lifetime().total_seconds()


reset_tokens = ResetTokenGenerator()


def reset_lifetime() -> timedelta:
    return timedelta(minutes=settings.HELPLINE_PASSWORD_RESET_MINUTES)


def valid_for() -> str:
    """How long a reset link works, in words ("1 hour")."""
    moment = now()
    return timeuntil(moment + reset_lifetime(), moment)


def users_for(audience: Audience, email: str) -> list[User]:
    """The active logins of this kind that a reset for `email` may reach."""
    if audience == Audience.CUSTOMERS:
        customer = (
            customers_with_email(email)
            .filter(user__is_active=True, user__agent__isnull=True)
            .select_related("user")
            .first()
        )
        return [customer.user] if customer and customer.user else []
    return list(
        User.objects.filter(
            email__iexact=normalize_email(email), is_active=True, agent__isnull=False
        )
    )


def account_mail_allowed(email: str) -> bool:
    """Whether one more account mail (reset, confirmation, ticket link) may go to
    `email` now: at most HELPLINE_ACCOUNT_MAIL_PER_MAILBOX per mailbox, so nobody
    can flood somebody else's inbox through our forms. Counts this one. Asked by
    the worker, only for mail it is about to write: no request is needed (the
    count is keyed by the mailbox alone, in the shared cache)."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return True
    mailbox = normalize_email(email).lower()
    usage = get_usage(
        None,
        group="helpline.accounts.mail",
        key=lambda group, request: mailbox,
        rate=settings.HELPLINE_ACCOUNT_MAIL_PER_MAILBOX,
        increment=True,
    )
    return not (usage and usage["should_limit"])


def send_reset(audience: Audience, user: User) -> None:
    """Queue the reset mail with a fresh link for `user`."""
    name = "portal:password_reset_confirm"
    if audience == Audience.AGENTS:
        name = "desk:password_reset_confirm"
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = reset_tokens.make_token(user)
    link = settings.HELPLINE_BASE_URL + reverse(name, kwargs={"uidb64": uidb64, "token": token})
    customer = getattr(user, "customer", None) if audience == Audience.CUSTOMERS else None
    person = customer if audience == Audience.CUSTOMERS else getattr(user, "agent", None)
    queue_account_mail(
        MailKind.PASSWORD_RESET,
        name=customer.name if customer else user.get_full_name() or user.username,
        email=user.email,
        # `valid_for` is called while rendering, in the recipient's language.
        context={"link": link, "valid_for": valid_for},
        language=person_language(person),
    )


def mail_reset(audience: Audience, email: str) -> None:
    """The worker's half of a reset request: mail a link to each login of this kind
    that `email` has, if its mailbox may have one more account mail."""
    with transaction.atomic():
        users = users_for(audience, email)
        if users and account_mail_allowed(email):
            for user in users:
                send_reset(audience, user)


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
        from helpline.accounts.tasks import mail_password_reset

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
