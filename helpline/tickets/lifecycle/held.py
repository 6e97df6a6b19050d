"""Mail held for review: a reply that could not be verified, until an agent decides.

Mail intake holds a mail that claims to answer a ticket when it cannot show that it
comes from a person on the ticket (see `helpline.intake.trust`): it names the
ticket only by the number in its subject, or comes from somebody who is not on the
ticket, or our mail server recorded that its sender failed SPF/DKIM/DMARC. Such a
mail must not act as the customer: it changes no status, reopens nothing, sends
nobody anything. It is kept as an internal note with a `HeldReply` beside it, and
an event; the ticket row itself is not written (not even its version), so an
agent's open form does not conflict with it.

An agent who may answer the customer then decides:
- accept: an event records who accepted it, then it goes through
  `customer_reply` as the message of its sender, with every normal effect: it
  reopens a resolved ticket, restarts a paused clock, alerts the assignee, or
  opens a follow-up after the reopen window. A sender who is not on the ticket (a
  stranger: a colleague of the customer writing from their own address, say) is
  added as a collaborator (Cc) first, with their own customer record (made now if
  they have none), and the message is theirs: it is never put in the ticket
  customer's name, because the thread must show who really wrote it (and a
  follow-up ticket opened by it is theirs);
- dismiss: an event records it; the note stays as the record of what arrived.
A mail is decided once: the decision is a conditional UPDATE on the held state, so
two agents clicking at once cannot post it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import Agent, Customer
from helpline.lib.html import SafeHTML, sanitize
from helpline.tickets.lifecycle.core import (
    Change,
    Refused,
    Upload,
    add_entry,
    lock_ticket,
    prepare_body,
    refuse_archived,
    require_agent,
    write_events,
)
from helpline.tickets.lifecycle.merging import lock_receiving
from helpline.tickets.lifecycle.thread import customer_reply, is_party
from helpline.tickets.models import (
    Collaborator,
    EntryKind,
    EventKind,
    HeldReply,
    Source,
    Ticket,
)
from helpline.tickets.permissions import TicketAction
from helpline.tickets.reasons import english, own

MAX_DETAIL = 500


def _heading(sender: str, reasons: Sequence[str], detail: str) -> SafeHTML:
    because = "; ".join(str(HeldReply.Reason(code).label) for code in reasons)
    text = _(
        "Held for review: a mail claiming to be a reply from %(sender)s. It was not "
        "posted as their reply, and changed nothing on the ticket, because %(because)s."
    ) % {"sender": sender, "because": because}
    more = f"<p><small>{escape(detail)}</small></p>" if detail else ""
    return SafeHTML(f"<p><strong>{escape(text)}</strong></p>{more}")  # all escaped


def hold_reply(
    ticket: Ticket,
    *,
    sender_name: str,
    sender_email: str,
    customer: Customer | None,
    body_html: str,
    uploads: Sequence[Upload] = (),
    reasons: Sequence[str],
    detail: str = "",
    source: str = Source.EMAIL,
) -> HeldReply:
    """Keep an unverified reply as an internal note that waits for an agent (the
    system writes it: actor None). Touches nothing else on the ticket."""
    if not reasons or any(code not in HeldReply.Reason for code in reasons):
        raise ValueError(f"unknown reasons: {reasons!r}")
    detail = detail[:MAX_DETAIL]
    # Sanitized and bounded before the transaction: nothing slow holds the lock.
    body = sanitize(body_html)
    sender = f"{sender_name} <{sender_email}>" if sender_name else sender_email
    prepared = prepare_body(_heading(sender, reasons, detail) + body, uploads)
    with transaction.atomic():
        ticket = lock_receiving(ticket)  # a merged ticket's survivor takes it
        refuse_archived(ticket)
        change = Change(ticket, None)
        note = add_entry(
            ticket,
            kind=EntryKind.NOTE,
            actor=None,
            body=prepared,
            now=change.now,
            source=source,
        )
        held = HeldReply.objects.create(
            ticket=ticket,
            note=note,
            sender_name=sender_name[:200],
            sender_email=sender_email[:254],
            customer=customer,
            reasons=list(reasons),
            detail=detail,
            body=body,
            source=source,
            received_at=change.now,
        )
        change.event(
            EventKind.HELD,
            field="held",
            new=sender_email,
            reason=own("; ".join(english(HeldReply.Reason(code).label) for code in reasons)),
            data={"held": held.pk},
            entry=note,
        )
        # Only the event, not change.save(): like a rating (lifecycle.rate), a held
        # mail changes nothing an agent edits, so it must not bump the ticket's
        # version, or any stranger mailing "[#n]" would make an agent's open form
        # conflict.
        write_events(change.events)
    return held


def reply_author(held: HeldReply, ticket: Ticket) -> tuple[Customer, bool]:
    """Who an accepted mail is posted as: always its sender (their customer record,
    found or made from the address it came from), and whether they must first be
    added to the ticket as a collaborator (they are not on it yet). Inside the
    accepting transaction."""
    sender = held.customer or find_or_create_customer(
        name=held.sender_name, email=held.sender_email
    )
    return sender, not is_party(sender, ticket)


def _decide(held: HeldReply, state: str, actor: Agent) -> None:
    rows = HeldReply.objects.filter(pk=held.pk, state=HeldReply.State.HELD).update(
        state=state, decided_by=actor, decided_at=timezone.now()
    )
    if rows != 1:
        raise Refused(_("This mail was already accepted or dismissed."))


def _files(held: HeldReply) -> list[Upload]:
    """The held mail's attachments, read back from storage (within the upload
    limits: intake dropped what broke them)."""
    uploads = []
    for attachment in held.note.attachments.order_by("pk"):
        with attachment.file.open("rb") as handle:
            uploads.append(
                Upload(
                    attachment.filename,
                    attachment.content_type,
                    handle.read(),
                    attachment.content_id,
                )
            )
    return uploads


def accept_held(held: HeldReply, *, actor: Agent) -> Ticket:
    """Post the held mail as its sender's message, with its normal effects (a
    sender not on the ticket becomes a collaborator first). Returns the ticket that
    received it (a follow-up ticket after the reopen window)."""
    held = HeldReply.objects.select_related("note", "customer").get(pk=held.pk)
    uploads = _files(held)  # file reads before the transaction
    with transaction.atomic():
        ticket = lock_ticket(held.ticket, None)
        require_agent(actor, TicketAction.REPLY, ticket)
        refuse_archived(ticket)
        author, stranger = reply_author(held, ticket)
        _decide(held, HeldReply.State.ACCEPTED, actor)
        change = Change(ticket, actor)
        if stranger:
            # The agent vouches that the sender belongs on the ticket: they follow
            # it from now on (replies reach them too), like a Cc on a first mail.
            Collaborator.objects.create(ticket=ticket, customer=author)
            change.event(
                EventKind.COLLABORATOR,
                field="collaborator",
                new=author,
                reason=own(f"{author}, whose held mail was accepted"),
            )
        change.event(
            EventKind.HELD_ACCEPTED,
            field="held",
            old=held.sender_email,
            new=author.name,
            data={"held": held.pk, "note": held.note_id, "collaborator_added": stranger},
        )
        change.save()
        return customer_reply(
            # Sanitized when it was held: not parsed again inside this transaction.
            ticket,
            actor=author,
            body_html=SafeHTML(held.body),
            uploads=uploads,
            source=held.source,
        )


def dismiss_held(held: HeldReply, *, actor: Agent) -> Ticket:
    """Keep the held mail only as the note it is; nothing else changes."""
    with transaction.atomic():
        ticket = lock_ticket(held.ticket, None)
        require_agent(actor, TicketAction.REPLY, ticket)
        refuse_archived(ticket)
        _decide(held, HeldReply.State.DISMISSED, actor)
        change = Change(ticket, actor)
        change.event(
            EventKind.HELD_DISMISSED,
            field="held",
            old=held.sender_email,
            data={"held": held.pk, "note": held.note_id},
        )
        return change.save()
