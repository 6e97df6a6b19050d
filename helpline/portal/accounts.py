"""Registering a customer account, with the address confirmed by mail.

An account shows every ticket of its address, including those opened as a guest
before it existed, so the address must be proven first: registering creates an
inactive login and mails a signed link; following the link activates it and links
it to the customer with that address. Until then nothing is linked, and a second
registration of the same address (a typo, a lost mail) just refreshes the
pending login and sends a new link.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from helpline.accounts.customers import find_or_create_customer, has_account, normalize_email
from helpline.accounts.models import Customer, User
from helpline.lib.access import public, signed_link
from helpline.portal.forms import RegisterForm
from helpline.portal.tasks import mail_confirmation
from helpline.portal.views import current_customer, throttled

_SALT = "helpline.portal.confirm"
CONFIRM_MAX_AGE = timedelta(days=3)
TAKEN = "An account with this email address exists already. Sign in instead."


def confirmation_token(user: User) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{user.pk}:{user.username}")


def _user_from_token(token: str) -> User | None:
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    pk, _, username = value.partition(":")
    return User.objects.filter(pk=pk, username=username).first() if pk.isdigit() else None


def _pending_user(form: RegisterForm) -> User | None:
    """The inactive login awaiting confirmation, created or refreshed with what was
    typed now; None when the address has an account already."""
    data = form.cleaned_data
    email = normalize_email(data["email"])
    first, _, last = data["name"].strip().partition(" ")
    with transaction.atomic():
        # Checked again here, not only by the form: another request may have
        # registered the address since.
        if has_account(email):
            return None
        user = User.objects.filter(
            username__iexact=email, is_active=False, customer__isnull=True, agent__isnull=True
        ).first() or User(username=email, email=email, is_active=False)
        user.first_name, user.last_name = first[:150], last[:150]
        user.set_password(data["password1"])
        user.save()
    return user


@public
@require_http_methods(["GET", "POST"])
@throttled("10/h")
def register(request: HttpRequest) -> HttpResponse:
    if current_customer(request) is not None:
        return redirect("portal:my_tickets")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _pending_user(form)
        if user is None:
            form.add_error("email", TAKEN)
        else:
            link = request.build_absolute_uri(
                reverse("portal:confirm", args=[confirmation_token(user)])
            )
            mail_confirmation.enqueue(user.pk, link)
            context = {"section": "register", "email": user.email, "days": CONFIRM_MAX_AGE.days}
            return render(request, "portal/register_sent.html", context)
    return render(request, "portal/register.html", {"section": "register", "form": form})


@signed_link
@never_cache
@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    user = _user_from_token(token)
    if user is None or hasattr(user, "agent"):
        return render(request, "portal/confirm_failed.html", {"section": "register"}, status=404)
    if user.is_active:  # a used link never signs anybody in again
        messages.info(request, "Your address is confirmed already; please sign in.")
        return redirect("portal:login")
    with transaction.atomic():
        customer = find_or_create_customer(name=user.get_full_name(), email=user.email)
        linked = Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=user)
        if linked != 1:
            messages.error(request, TAKEN)
            return redirect("portal:login")
        User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Welcome! Your address is confirmed and your account is ready.")
    return redirect("portal:my_tickets")
