"""The conversation: agent replies, internal notes, customer messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent, Customer
from helpline.tickets.deadlines import pauses
from helpline.tickets.lifecycle.clock import record_answer
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    Change,
    ChangedMeanwhile,
    NotAllowed,
    Refused,
    Upload,
    add_entry,
    lock_ticket,
    prepare_body,
    refuse_archived,
    require_agent,
    status_for,
)
from helpline.tickets.lifecycle.merging import lock_receiving
from helpline.tickets.lifecycle.status import apply_reopen, move_status
from helpline.tickets.models import (
    Collaborator,
    EntryKind,
    Event,
    EventKind,
    Source,
    State,
    Status,
    StatusPurpose,
    Ticket,
)
from helpline.tickets.permissions import TicketAction, can_in_department
from helpline.tickets.reasons import own


def changed_by_others(ticket: Ticket, since: datetime, agent: Agent) -> QuerySet[Event]:
    """The changes people other than `agent` (agents, the customer) made to the
    ticket after `since`: what a reply's writer has not seen."""
    return ticket.events.filter(created_at__gt=since).filter(
        (Q(agent__isnull=False) & ~Q(agent=agent)) | Q(customer__isnull=False)
    )


def reply(
    ticket: Ticket,
    *,
    actor: Actor,
    body_html: str | Body,
    uploads: Sequence[Upload] = (),
    status: Status | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
    seen_at: datetime | None = None,
    signed: bool = False,
) -> Ticket:
    """An agent's answer to the customer. Answering an unassigned ticket claims it.

    `signed`: the body ends with the signature the agent chose (the desk's reply
    box), so the mail adds none of its own; otherwise (the API) the mail adds the
    agent's signature, as it always did.

    `status` optionally moves the ticket to another open status in the same step;
    the version is checked only then, since a reply alone overwrites nothing.
    `seen_at` is when the writer last saw the ticket: if other people changed it
    after that (the clock's changes do not count), `ChangedMeanwhile` is raised.
    Checked under the ticket's lock, so of two replies sent at once, the second
    waits for the first and is held.
    """
    body = prepare_body(body_html, uploads)  # before the transaction: see core
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version if status is not None else None)
        agent = require_agent(actor, TicketAction.REPLY, ticket)
        if seen_at is not None and changed_by_others(ticket, seen_at, agent).exists():
            raise ChangedMeanwhile(ticket)
        if not ticket.is_open:
            raise Refused(_("This ticket is closed; reopen it before replying."))
        change = Change(ticket, actor)
        entry = add_entry(
            ticket, kind=EntryKind.REPLY, actor=actor, body=body, now=change.now, source=source
        )
        change.event(EventKind.REPLIED, entry=entry)
        if signed:
            change.events[-1].data["signed"] = True
        change.set(last_response_at=change.now)
        record_answer(change, event_data=change.events[-1].data)
        # Answering an unassigned ticket claims it, for an agent who may hold it
        # (a team member from outside the department answers without claiming).
        if ticket.assignee_id is None and (
            agent.is_admin or can_in_department(agent, TicketAction.VIEW, ticket.department_id)
        ):
            change.event(
                EventKind.ASSIGNED,
                field="agent",
                old=None,
                new=agent,
                reason=own("Claimed by replying"),
            )
            change.set(assignee=agent)
        if status is not None and status.pk != ticket.status_id:
            move_status(change, status)
        return change.save()


def add_note(
    ticket: Ticket,
    *,
    actor: Actor,
    body_html: str | Body,
    uploads: Sequence[Upload] = (),
    source: str = Source.WEB,
) -> Ticket:
    """An internal note: agents only, never shown to the customer. Allowed on closed
    tickets too, since notes record what happened after the fact. The system
    (actor None) writes notes too, e.g. a bounce attached to its ticket."""
    body = prepare_body(body_html, uploads)  # before the transaction: see core
    with transaction.atomic():
        ticket = lock_receiving(ticket)  # a merged ticket's survivor takes it
        if actor is not None:
            require_agent(actor, TicketAction.NOTE, ticket)
        refuse_archived(ticket)
        change = Change(ticket, actor)
        entry = add_entry(
            ticket, kind=EntryKind.NOTE, actor=actor, body=body, now=change.now, source=source
        )
        change.event(EventKind.NOTE, entry=entry)
        return change.save()


def is_party(customer: Customer, ticket: Ticket) -> bool:
    """The ticket's customer, or one of its collaborators."""
    return (
        customer.pk == ticket.customer_id
        or Collaborator.objects.filter(ticket=ticket, customer=customer).exists()
    )


# The most people a customer copies on their ticket (agents may add more).
MAX_FOLLOWERS_BY_CUSTOMER = 10


def _require_people_changer(actor: Actor, ticket: Ticket) -> None:
    """Who may change the people following a ticket: its agents (those who may
    edit it), and its own customer on the portal; never a collaborator."""
    if isinstance(actor, Customer):
        if actor.pk != ticket.customer_id:
            raise NotAllowed(_("Only the ticket's customer changes who follows it."))
    elif actor is not None:
        require_agent(actor, TicketAction.EDIT, ticket)


def add_collaborator(ticket: Ticket, *, actor: Actor, customer: Customer) -> Ticket:
    """Let `customer` follow the ticket: they get replies (not notes) and may
    write on it, by mail or on the portal."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, None)
        _require_people_changer(actor, ticket)
        refuse_archived(ticket)
        if customer.pk == ticket.customer_id or is_party(customer, ticket):
            raise Refused(_("%(name)s already follows this ticket.") % {"name": customer.name})
        if isinstance(actor, Customer) and (
            Event.objects.filter(ticket=ticket, kind=EventKind.COLLABORATOR, customer=actor).count()
            >= MAX_FOLLOWERS_BY_CUSTOMER
        ):
            # Replies go to every one of them: a stranger's ticket must not become
            # a way to mail hundreds of addresses from the help desk. Counted over
            # the ticket's life: removing and adding again counts too.
            raise Refused(
                _("You can copy at most %(count)d people on a ticket.")
                % {"count": MAX_FOLLOWERS_BY_CUSTOMER}
            )
        Collaborator.objects.create(ticket=ticket, customer=customer)
        change = Change(ticket, actor)
        change.event(EventKind.COLLABORATOR, field="collaborator", new=customer)
        return change.save()


def remove_collaborator(ticket: Ticket, *, actor: Actor, customer: Customer) -> Ticket:
    """`customer` no longer follows the ticket: no more replies by mail, no portal
    access; a mail of theirs on it is filed as a note that says they do not follow
    it (intake.placement), never as the customer's message."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, None)
        _require_people_changer(actor, ticket)
        refuse_archived(ticket)
        removed, _count = Collaborator.objects.filter(ticket=ticket, customer=customer).delete()
        if not removed:
            raise Refused(_("%(name)s does not follow this ticket.") % {"name": customer.name})
        change = Change(ticket, actor)
        change.event(EventKind.COLLABORATOR_REMOVED, field="collaborator", old=customer)
        return change.save()


def customer_reply(
    ticket: Ticket,
    *,
    actor: Customer,
    body_html: str | Body,
    uploads: Sequence[Upload] = (),
    source: str = Source.WEB,
) -> Ticket:
    """The customer writes on their ticket. On a resolved or closed ticket this
    reopens it: back to the "new" status, counted in reopen_count. After the
    department's reopen window the message opens a new ticket instead, linked to
    the old one (`follows`). On a merged ticket the message goes to the ticket it
    was merged into. Returns the ticket that received the message."""
    body = prepare_body(body_html, uploads)  # before the transaction: see core
    with transaction.atomic():
        # A merged ticket's survivor takes the message (the customer follows it).
        ticket = lock_receiving(ticket)
        if not isinstance(actor, Customer) or not is_party(actor, ticket):
            raise NotAllowed(_("You can only write on your own tickets."))
        if ticket.state == State.ARCHIVED:
            raise Refused(_("This ticket is archived; please open a new ticket."))
        change = Change(ticket, actor)
        if _past_reopen_window(ticket, change.now):
            return _follow_up(change, body=body, source=source)
        entry = add_entry(
            ticket, kind=EntryKind.MESSAGE, actor=actor, body=body, now=change.now, source=source
        )
        change.event(EventKind.CUSTOMER_REPLIED, entry=entry)
        change.set(last_message_at=change.now)
        if not ticket.is_open:
            apply_reopen(change, status_for(StatusPurpose.NEW), reason=own("The customer replied"))
        elif ticket.status.pauses_sla or pauses(ticket.sla, ticket.status_id):
            # The wait is over: back to the "new" status, and the clock runs again.
            move_status(change, status_for(StatusPurpose.NEW))
            change.events[-1].reason = "The customer replied"
        return change.save()


# --- status -------------------------------------------------------------------------------


def _past_reopen_window(ticket: Ticket, now: datetime) -> bool:
    days = ticket.department.reopen_window_days
    ended = ticket.closed_at or ticket.resolved_at
    if ticket.is_open or days is None or ended is None:
        return False
    return now - ended > timedelta(days=days)


def _follow_up(change: Change, *, body: Body, source: str) -> Ticket:
    """The customer's message opens a new ticket that follows the old one; the old
    ticket records the link. Same customer, topic and department; the routing rules
    and automatic assignment run as for any new ticket."""
    from helpline.tickets.lifecycle.opening import NewTicket, open_ticket

    old = change.ticket
    customer = change.actor
    assert isinstance(customer, Customer)
    new = open_ticket(
        NewTicket(
            customer=customer,
            subject=old.subject,
            body_html=body,  # prepared already: open_ticket does not parse it again
            source=source,
            topic=old.topic,
            department=old.department,
            follows=old,
        ),
        actor=None,
    )
    days = old.department.reopen_window_days
    change.event(
        EventKind.LINKED,
        field="followup",
        new=f"#{new.number}",
        reason=own(f"The customer wrote more than {days} days after it ended"),
        data={"ticket": new.pk},
    )
    change.save()
    return new
