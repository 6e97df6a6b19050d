"""Turning drafts into outbox rows: rendered, addressed and threaded.

Each mail gets a new Message-ID of ours (signed, naming the ticket: see
`helpline.lib.mailids`), and In-Reply-To/References naming the mail its recipient
got about the same ticket before, so their mail client threads the conversation
and their reply names an id of ours, which files it into the ticket.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from helpline.lib.mailids import make_message_id
from helpline.notify.addresses import bare_address
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.rendering import Renderer
from helpline.tickets.models import Event, Ticket

# How many earlier Message-IDs a References header names: the first mail of the
# recipient's thread and the latest ones, as RFC 5322 suggests when trimming.
MAX_REFERENCES = 10
# A letter per kind in our Message-IDs, so an id read in a log says what it was.
_TAG = {
    MailKind.AUTORESPONSE: "a",
    MailKind.NEW_TICKET_ALERT: "n",
    MailKind.ASSIGNED_ALERT: "g",
    MailKind.TRANSFER_ALERT: "t",
    MailKind.REPLY: "r",
    MailKind.RESOLVED: "s",
    MailKind.REOPENED_ALERT: "o",
    MailKind.OVERDUE_ALERT: "d",
    MailKind.ESCALATION_ALERT: "e",
    MailKind.UNASSIGNABLE_ALERT: "u",
    MailKind.ACCOUNT_CONFIRMATION: "c",
    MailKind.PASSWORD_RESET: "p",
    MailKind.TICKET_LINK: "l",
}


@dataclass
class Draft:
    """One mail to render: its kind, recipients and template variables."""

    event: Event
    kind: MailKind
    to: list[str]
    cc: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    # The recipient's language (helpline.accounts.language.person_language): the
    # mail's template is rendered in it, dates and numbers included.
    language: str = ""


def address(name: str, email: str) -> str:
    """'Name <address>', quoted as needed; the bare address if the name will not do."""
    name = " ".join(name.split())
    try:
        return str(Address(display_name=name, addr_spec=email))
    except (ValueError, IndexError):
        return email


# How many of a ticket's latest mails are searched for a recipient's earlier mail.
THREAD_LOOKBACK = 500


def _history(ticket: Ticket) -> list[tuple[str, frozenset[str]]]:
    """The ticket's earlier mail, oldest first: (Message-ID, its recipients)."""
    rows = (
        OutboundMessage.objects.filter(ticket=ticket)
        .order_by("-created_at", "-id")
        .values_list("message_id", "to", "cc")[:THREAD_LOOKBACK]
    )
    return [
        (message_id, frozenset(bare_address(a) for a in [*to, *cc]))
        for message_id, to, cc in reversed(list(rows))
    ]


def _earlier_ids(history: list[tuple[str, frozenset[str]]], recipient: str) -> list[str]:
    """Message-IDs of the mail this recipient got about the ticket before: the first
    and the latest, oldest first, for References (the last one is In-Reply-To).
    Per recipient, so a mail answers one its reader has seen."""
    address = bare_address(recipient)
    theirs = [message_id for message_id, to in history if address in to]
    if len(theirs) <= MAX_REFERENCES:
        return theirs
    return theirs[:1] + theirs[-(MAX_REFERENCES - 1) :]


def compose(drafts: Sequence[Draft], renderer: Renderer) -> list[OutboundMessage]:
    now = timezone.now()
    histories: dict[int, list[tuple[str, frozenset[str]]]] = {}
    messages = []
    for draft in drafts:
        with translation.override(draft.language or settings.LANGUAGE_CODE):
            rendered = renderer.render(draft.kind, draft.context)
        if rendered is None:  # an administrator switched this kind of mail off
            continue
        ticket = draft.event.ticket
        if ticket.pk not in histories:
            histories[ticket.pk] = _history(ticket)
        earlier = _earlier_ids(histories[ticket.pk], draft.to[0])
        tag = f"{_TAG[draft.kind]}{draft.event.pk}x{secrets.token_hex(4)}"
        messages.append(
            OutboundMessage(
                ticket=ticket,
                event=draft.event,
                kind=draft.kind,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=draft.to,
                cc=draft.cc,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                message_id=make_message_id(ticket.number, tag),
                in_reply_to=earlier[-1] if earlier else "",
                references=" ".join(earlier),
                created_at=now,
                next_attempt_at=now,
            )
        )
    return messages
