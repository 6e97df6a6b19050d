"""Registering a customer account: whoever controls the mailbox decides.

An account shows every ticket of its address, including those opened as a guest
before it existed, so nothing is decided before the address is proven. The attack
this closes is account pre-hijacking: the old flow took a password at
registration, a second registration of a pending address replaced it, and the
first link stayed valid and signed in. So an attacker who registered a victim's
address, before or after the victim, ended up knowing the password of the account
the victim then confirmed.

Now:

- Registering takes an address only, and always answers the same "check your
  mail" page after the same work (one task for the worker, holding the address),
  so neither the page nor its timing tells whether the address has an account.
  The worker decides (`request_account`): a new address gets a pending login
  (inactive, with no usable password) and a confirmation link; registering a
  pending address again changes nothing about it and mails another link; an
  address with an account gets a password reset link instead (its owner may have
  forgotten). Mail goes only to the address, and says nothing anybody typed: it
  greets the address itself (a name typed at registration would let anybody put
  their text into mail we send to any address). The name is asked behind the
  link, which only the mailbox's owner can follow.
- The link (Django's token generator, whose hash covers the login's password,
  last sign-in, address and `is_active`) leads to a form where the mailbox's owner
  gives a name and chooses the password. Submitting it activates the login, links it to the
  customer with that address and spends every link sent for it. Nobody is signed
  in by the link: the person signs in with the password they have just chosen.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django.utils.timezone import now
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from helpline.accounts.customers import find_or_create_customer, has_account, normalize_email
from helpline.accounts.models import Customer, User
from helpline.accounts.passwords import Audience
from helpline.lib.access import public, signed_link
from helpline.lib.ratelimit import per_address
from helpline.notify.accountmail import account_mail_allowed, mail_reset, queue_account_mail
from helpline.notify.models import MailKind
from helpline.portal.forms import AccountSetupForm, RegisterForm
from helpline.portal.tasks import mail_registration
from helpline.web.auth import current_customer
from helpline.web.passwords import LinkView


class ConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator (password hash, last sign-in, address, timestamp), with its
    own salt and `is_active` in the hash: activating the login spends the link."""

    key_salt = "helpline.portal.accounts.confirm"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


confirmation_tokens = ConfirmationTokenGenerator()


def confirm_max_age() -> timedelta:
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def confirmation_path(user: User) -> str:
    return reverse(
        "portal:confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": confirmation_tokens.make_token(user),
        },
    )


def _pending_filter() -> dict[str, Any]:
    return {"is_active": False, "customer__isnull": True, "agent__isnull": True}


def pending_login(email: str) -> User:
    """The login waiting for `email` to be confirmed: made the first time, never
    changed by a later registration (which may be anybody's)."""
    existing = User.objects.filter(username__iexact=email, **_pending_filter()).first()
    if existing is not None:
        return existing
    user = User(username=email, email=email, is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # registered at the same moment by another request
        return User.objects.get(username__iexact=email, **_pending_filter())
    return user


def _mail_confirmation(user: User, language: str) -> None:
    moment = now()
    queue_account_mail(
        MailKind.ACCOUNT_CONFIRMATION,
        name="",  # greeted by the address: nothing a stranger typed goes into the mail
        email=user.email,
        context={
            "link": settings.HELPLINE_BASE_URL + confirmation_path(user),
            # Called while rendering, in the language of the page that asked.
            "valid_for": partial(timeuntil, moment + confirm_max_age(), moment),
        },
        language=language or None,
    )


def request_account(email: str, language: str = "") -> None:
    """The worker's half of a registration (see the module doc): mail the right
    link to `email`, if its mailbox may have one more account mail."""
    email = normalize_email(email)
    if has_account(email):
        mail_reset(Audience.CUSTOMERS, email)
        return
    with transaction.atomic():
        if account_mail_allowed(email):
            _mail_confirmation(pending_login(email), language)


@public
@require_http_methods(["GET", "HEAD", "POST"])
@per_address("10/h")
def register(request: HttpRequest) -> HttpResponse:
    if current_customer(request) is not None:
        return redirect("portal:my_tickets")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        mail_registration.enqueue(email, translation.get_language() or "")
        moment = now()
        context = {
            "section": "register",
            "email": email,
            "valid_for": timeuntil(moment + confirm_max_age(), moment),
        }
        return render(request, "portal/register_sent.html", context)
    return render(request, "portal/register.html", {"section": "register", "form": form})


@signed_link
class ConfirmView(LinkView):
    """The link in the confirmation mail: give a name, choose a password, and the
    account is ready."""

    template_name = "portal/confirm.html"
    token_generator = confirmation_tokens
    form_class = AccountSetupForm
    success_url = reverse_lazy("portal:login")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        pending = User.objects.filter(pk=user.pk, **_pending_filter()) if user else None
        return user if pending is not None and pending.exists() else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "section": "register"}

    def form_valid(self, form: Any) -> HttpResponse:
        data = form.cleaned_data
        assert self.user is not None  # a valid link has its user
        user = activate(self.user, name=data["name"], password=data["new_password1"])
        self.request.session.pop("_password_reset_token", None)
        if user is None:
            messages.error(self.request, _("This address has an account already. Sign in."))
        else:
            messages.success(
                self.request,
                _(
                    "Your address is confirmed and your account is ready. "
                    "Sign in with your new password."
                ),
            )
        return redirect(self.success_url)


def activate(user: User, *, name: str, password: str) -> User | None:
    """Activate the pending `user` with the name and password its mailbox's owner
    gave, and link it to the customer with its address. None when the address got
    an account in the meantime (nothing changes then)."""
    with transaction.atomic():
        locked = (
            User.objects.select_for_update(of=("self",))
            .filter(pk=user.pk, **_pending_filter())
            .first()
        )
        if locked is None:
            return None
        customer = find_or_create_customer(name=name, email=locked.email)
        if Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=locked) != 1:
            return None
        first, _sep, last = name.strip().partition(" ")
        locked.first_name, locked.last_name = first[:150], last[:150]
        locked.set_password(password)
        locked.is_active = True
        locked.save()
    return locked
