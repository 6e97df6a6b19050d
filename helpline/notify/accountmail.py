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
from django.utils import timezone

from helpline.lib.mailids import make_message_id
from helpline.notify.compose import _TAG, address
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.outbox import enqueue
from helpline.notify.rendering import Renderer
from helpline.tickets.models import Ticket

NO_TICKET = "0000"
ACCOUNT_KINDS = (MailKind.ACCOUNT_CONFIRMATION, MailKind.PASSWORD_RESET, MailKind.TICKET_LINK)


def queue_account_mail(
    kind: MailKind,
    *,
    name: str,
    email: str,
    context: dict[str, Any],
    ticket: Ticket | None = None,
) -> OutboundMessage | None:
    """Write one account mail to `email` into the outbox, to be sent after commit.

    `context` holds plain values only (administrators' templates never get model
    objects); `recipient.name` is added. Returns None when an administrator switched
    this kind of mail off.
    """
    assert kind in ACCOUNT_KINDS
    rendered = Renderer().render(kind, {"recipient": {"name": name or email}, **context})
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
