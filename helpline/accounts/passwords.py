"""Password reset for customers and agents: the reset links' tokens and whom a
reset may reach. The mail is notify's (`helpline.notify.accountmail.mail_reset`),
the pages are the web kit's (`helpline.web.passwords`).

The form answers the same whatever is typed, and the request does the same work
whatever is typed: it hands what was typed to the worker in one task
(`helpline.notify.tasks.mail_password_reset`) and answers. The worker looks the
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

from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int
from django.utils.timesince import timeuntil
from django.utils.timezone import now

from helpline.accounts.customers import customers_with_email, normalize_email
from helpline.accounts.models import User


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
