"""Account mail: address confirmations, password resets, ticket links.

This mail is asked for by a person on a page, not caused by a ticket event, but it
goes the same way as the rest: an `OutboundMessage` row, sent by the worker once
its transaction commits, with retries, a signed Message-ID of ours (so a bounce or
an autoreply that comes back is recognised as our own mail) and a template
administrators can edit. The pages do not call this themselves: they queue one
task holding what was typed (`helpline.notify.tasks`, `helpline.portal.tasks`)
and answer, and the worker looks the account or ticket up and calls this. So a
page does the same work, and takes the same time, whether or not the address has
an account or the ticket exists.

A mail about no ticket names the pseudo-number `NO_TICKET` in its Message-ID: four
digits, where real ticket numbers have six or more, so it never names a ticket.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_ratelimit.core import get_usage

from helpline.accounts.customers import normalize_email
from helpline.accounts.language import person_language
from helpline.accounts.models import User
from helpline.accounts.passwords import Audience, reset_tokens, users_for, valid_for
from helpline.lib.mailids import make_message_id
from helpline.notify.compose import MESSAGE_ID_TAGS, address
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.outbox import enqueue
from helpline.notify.rendering import Renderer
from helpline.tickets.models import Ticket

NO_TICKET = "0000"


def _language_of(email: str) -> str:
    """The mail language of whoever has the address: an agent's, else a customer's."""
    from helpline.accounts.customers import customers_with_email
    from helpline.accounts.models import Agent

    agent = Agent.objects.filter(user__email__iexact=email, user__is_active=True).first()
    if agent is not None:
        return person_language(agent)
    return person_language(customers_with_email(email).first())


ACCOUNT_KINDS = (MailKind.ACCOUNT_CONFIRMATION, MailKind.PASSWORD_RESET, MailKind.TICKET_LINK)


def queue_account_mail(
    kind: MailKind,
    *,
    name: str,
    email: str,
    context: dict[str, Any],
    ticket: Ticket | None = None,
    language: str | None = None,
) -> OutboundMessage | None:
    """Write one account mail to `email` into the outbox, to be sent after commit.

    `context` holds plain values only (administrators' templates never get model
    objects); `recipient.name` is added. Returns None when an administrator switched
    this kind of mail off, or when there is no address (a customer without one).

    The mail is written in `language`, else in the language of the customer or
    agent with that address (helpline.accounts.language.person_language). A
    value of `context` that is a function is called while rendering, in that
    language (e.g. a lifetime in words: `valid_for`).
    """
    assert kind in ACCOUNT_KINDS
    if not email.strip():
        return None
    language = language or _language_of(email)
    with translation.override(language):
        values = {key: value() if callable(value) else value for key, value in context.items()}
        rendered = Renderer().render(kind, {"recipient": {"name": name or email}, **values})
    if rendered is None:
        return None
    now = timezone.now()
    tag = f"{MESSAGE_ID_TAGS[kind]}x{secrets.token_hex(6)}"
    message = OutboundMessage.objects.create(
        ticket=ticket,
        kind=kind,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address(name, email)],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=make_message_id(ticket.number if ticket else NO_TICKET, tag),
        created_at=now,
        next_attempt_at=now,
    )
    # Robust, as for ticket mail: if queuing fails, send_due() still finds the row.
    transaction.on_commit(partial(enqueue, [message.pk]), robust=True)
    return message


# --- password reset mail (the pages are helpline.web.passwords) ---------------------


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
