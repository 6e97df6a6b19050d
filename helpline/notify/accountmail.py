"""Account mail: address confirmations, password resets, ticket links.

This mail is asked for by a person on a page, not caused by a ticket event, but it
goes the same way as the rest: an `OutboundMessage` row, sent by the worker once
its transaction commits, with retries, a signed Message-ID of ours (so a bounce or
an autoreply that comes back is recognised as our own mail) and a template
administrators can edit. The pages do not call this themselves: they queue one
task holding what was typed (`helpline.accounts.tasks`, `helpline.portal.tasks`)
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
from django.utils import timezone, translation

from helpline.accounts.language import person_language
from helpline.lib.mailids import make_message_id
from helpline.notify.compose import _TAG, address
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
    this kind of mail off.

    The mail is written in `language`, else in the language of the customer or
    agent with that address (helpline.accounts.language.person_language). A
    value of `context` that is a function is called while rendering, in that
    language (e.g. a lifetime in words: `valid_for`).
    """
    assert kind in ACCOUNT_KINDS
    language = language or _language_of(email)
    with translation.override(language):
        values = {key: value() if callable(value) else value for key, value in context.items()}
        rendered = Renderer().render(kind, {"recipient": {"name": name or email}, **values})
    if rendered is None:
        return None
    now = timezone.now()
    tag = f"{_TAG[kind]}x{secrets.token_hex(6)}"
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
