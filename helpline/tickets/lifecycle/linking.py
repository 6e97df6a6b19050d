"""Links between tickets (related; parent and child), resolving a parent's
children, and splitting a message off into a new ticket.

A link is one `TicketLink` row, shown on both tickets, and an event on each
(LINK_ADDED, LINK_REMOVED) whose `data` says what the other ticket is to this one
("related", "parent", "child"). `kind=LinkKind.PARENT` makes `ticket` the parent of
`other`. Both tickets are locked in id order (merging.lock_pair) and checked under
the locks: one link per pair whichever way round, one parent per child, no ticket
its own ancestor. Who may: an agent who may edit both tickets; neither may be
merged or archived.

`resolve_children` resolves a parent's open children with the parent's
explanation, each one through `resolve` in a transaction of its own, so each is
checked as if resolved by hand; a refusal (a child changed meanwhile, its open
tasks, no permission) is reported and does not stop the others. The explanation
is sanitized once, before any transaction. At most MAX_CHILDREN are resolved in
one call (each is a transaction of its own; a web request must not hold a
worker for thousands): the rest are reported as not resolved, for the bulk
actions of the queue.

`split` moves one customer message out of a thread into a new ticket, opened by
`open_ticket` (the routing rules and automatic assignment run as for any new
ticket) with that message as its first one: the entry itself moves, with its
author, time, origin and files. The two tickets are linked as related, and each
gets a SPLIT event. No autoresponse is sent: the customer learns the new number
from its first reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from helpline.lib.html import SafeHTML
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    Change,
    LifecycleError,
    Refused,
    Upload,
    lock_ticket,
    prepare_body,
    refuse_archived,
    require_agent,
)
from helpline.tickets.lifecycle.merging import lock_pair
from helpline.tickets.lifecycle.opening import NewTicket, open_ticket
from helpline.tickets.lifecycle.status import resolve
from helpline.tickets.models import (
    Entry,
    EntryKind,
    EventKind,
    LinkKind,
    State,
    Ticket,
    TicketLink,
)
from helpline.tickets.permissions import TicketAction

# The most children one `resolve_children` resolves (see the module docstring).
MAX_CHILDREN = 100
# The most parents walked up when checking that a link makes no circle.
MAX_DEPTH = 50


def _between(a: Ticket, b: Ticket) -> TicketLink | None:
    return (
        TicketLink.objects.filter(Q(ticket=a, other=b) | Q(ticket=b, other=a))
        .order_by("pk")
        .first()
    )


def _parent_id(ticket_id: int) -> int | None:
    return (
        TicketLink.objects.filter(other_id=ticket_id, kind=LinkKind.PARENT)
        .values_list("ticket_id", flat=True)
        .first()
    )


def _is_ancestor(candidate: Ticket, of: Ticket) -> bool:
    """Is `candidate` `of`'s parent, its parent's parent, ...?"""
    current: int | None = of.pk
    for _step in range(MAX_DEPTH):
        current = _parent_id(current) if current is not None else None
        if current is None:
            return False
        if current == candidate.pk:
            return True
    return True  # deeper than any real family: refuse rather than risk a circle


def _roles(link_kind: str, parent_first: bool) -> tuple[str, str]:
    """What the other ticket is to each side: (to `ticket`, to `other`)."""
    if link_kind == LinkKind.RELATED:
        return "related", "related"
    return ("child", "parent") if parent_first else ("parent", "child")


def _record(
    ticket: Ticket, other: Ticket, kind: EventKind, role: str, actor: Actor, now: datetime
) -> Change:
    change = Change(ticket, actor, now)
    number = f"#{other.number}"
    change.event(
        kind,
        field=role,
        old=number if kind == EventKind.LINK_REMOVED else "",
        new=number if kind == EventKind.LINK_ADDED else "",
        data={"ticket": other.pk, "number": other.number, "role": role},
    )
    return change


def _lock_both(ticket: Ticket, other: Ticket, actor: Actor) -> tuple[Ticket, Ticket]:
    if ticket.pk == other.pk:
        raise Refused(_("A ticket cannot be linked to itself."))
    ticket, other = lock_pair(ticket, other)
    for each in (ticket, other):
        require_agent(actor, TicketAction.EDIT, each)
        refuse_archived(each)  # archived or merged: read-only
    return ticket, other


def link(ticket: Ticket, *, other: Ticket, kind: str, actor: Actor) -> Ticket:
    """Link two tickets: related, or (`LinkKind.PARENT`) `ticket` the parent of
    `other`. Returns `ticket`."""
    if kind not in LinkKind.values:
        raise Refused(_("Choose how the tickets are linked."))
    with transaction.atomic():
        ticket, other = _lock_both(ticket, other, actor)
        if (existing := _between(ticket, other)) is not None:
            raise Refused(
                _("#%(a)s and #%(b)s are already linked (%(kind)s); unlink them first.")
                % {"a": ticket.number, "b": other.number, "kind": existing.get_kind_display()}
            )
        if kind == LinkKind.PARENT:
            if (parent := _parent_id(other.pk)) is not None:
                number = Ticket.objects.filter(pk=parent).values_list("number", flat=True).get()
                raise Refused(
                    _("#%(child)s already has a parent, #%(parent)s; unlink it first.")
                    % {"child": other.number, "parent": number}
                )
            if _is_ancestor(other, ticket):
                raise Refused(
                    _(
                        "#%(child)s is above #%(parent)s already: a ticket cannot be its "
                        "own ancestor."
                    )
                    % {"child": other.number, "parent": ticket.number}
                )
        now = timezone.now()
        TicketLink.objects.create(ticket=ticket, other=other, kind=kind, created_at=now)
        mine, theirs = _roles(kind, parent_first=True)
        _record(other, ticket, EventKind.LINK_ADDED, theirs, actor, now).save()
        return _record(ticket, other, EventKind.LINK_ADDED, mine, actor, now).save()


def unlink(ticket: Ticket, *, other: Ticket, actor: Actor) -> Ticket:
    """Remove the link between two tickets, whichever way it was made. Returns
    `ticket`."""
    with transaction.atomic():
        ticket, other = _lock_both(ticket, other, actor)
        existing = _between(ticket, other)
        if existing is None:
            raise Refused(
                _("#%(a)s and #%(b)s are not linked.") % {"a": ticket.number, "b": other.number}
            )
        mine, theirs = _roles(existing.kind, parent_first=existing.ticket_id == ticket.pk)
        existing.delete()
        now = timezone.now()
        _record(other, ticket, EventKind.LINK_REMOVED, theirs, actor, now).save()
        return _record(ticket, other, EventKind.LINK_REMOVED, mine, actor, now).save()


# --- a parent's children ------------------------------------------------------------------


@dataclass
class ChildrenResolved:
    """What `resolve_children` did: the children resolved, and those refused with
    the reason (in the order of their numbers)."""

    resolved: list[Ticket] = field(default_factory=list)
    refused: list[tuple[Ticket, str]] = field(default_factory=list)


def open_children(parent: Ticket) -> list[Ticket]:
    return list(
        Ticket.objects.filter(
            links_to__ticket=parent, links_to__kind=LinkKind.PARENT, state=State.OPEN
        ).order_by("number")
    )


def resolve_children(
    parent: Ticket,
    *,
    actor: Actor,
    explanation_html: str | Body,
    uploads: Sequence[Upload] = (),
) -> ChildrenResolved:
    """Resolve the parent's open children with the same explanation (see the module
    docstring); each one goes through `resolve`, refusals are collected."""
    body = prepare_body(  # once, before any transaction: see core
        explanation_html,
        uploads,
        empty=gettext_noop("Explain the resolution: the customer will read it."),
        require_text=True,
    )
    done = ChildrenResolved()
    children = open_children(parent)
    for child in children[:MAX_CHILDREN]:
        try:
            done.resolved.append(resolve(child, actor=actor, explanation_html=body))
        except LifecycleError as refusal:
            done.refused.append((child, refusal.message))
    for child in children[MAX_CHILDREN:]:
        done.refused.append(
            (
                child,
                _("More than %(count)d children at once: resolve the rest from the queue.")
                % {"count": MAX_CHILDREN},
            )
        )
    return done


# --- splitting ------------------------------------------------------------------------------


def split(entry: Entry, *, actor: Actor, subject: str | None = None) -> Ticket:
    """Move a customer's message (not the thread's first) into a new ticket for
    its writer, linked to the old one as related; returns the new ticket."""
    source = Ticket.objects.select_related("topic").get(pk=entry.ticket_id)
    title = " ".join((subject or "").split())[:255] or source.subject
    # The stored body is sanitized already: no parsing, and its text (the routing
    # rules read it) is rendered here, before the transaction.
    body = Body(SafeHTML(entry.body))
    body.text  # noqa: B018 - computes and keeps it
    with transaction.atomic():
        source = lock_ticket(source, None)
        agent = require_agent(actor, TicketAction.EDIT, source)
        refuse_archived(source)
        entry = Entry.objects.select_related("customer").get(pk=entry.pk)
        if entry.ticket_id != source.pk:
            raise Refused(_("That message is no longer on this ticket."))
        if entry.kind != EntryKind.MESSAGE:
            raise Refused(_("Only customers' messages can be split off into a new ticket."))
        first = Entry.objects.filter(ticket=source).order_by("created_at", "id").first()
        if first is not None and first.pk == entry.pk:
            raise Refused(
                _("The first message is what this ticket is about: it cannot be split off.")
            )
        topic = source.topic
        if topic is not None and topic.department_id != source.department_id:
            topic = None  # a topic kept through a transfer belongs elsewhere
        new = open_ticket(
            NewTicket(
                customer=entry.customer or source.customer,
                subject=title,
                body_html=body,
                source=entry.source,
                topic=topic,
                department=source.department,
                autorespond=False,
                first_entry=entry,
            ),
            actor=agent,
        )
        TicketLink.objects.create(
            ticket=source, other=new, kind=LinkKind.RELATED, created_at=timezone.now()
        )
        change = Change(source, actor)
        change.event(
            EventKind.SPLIT,
            field="split",
            new=f"#{new.number}",
            data={"ticket": new.pk, "number": new.number, "entry": entry.pk},
        )
        change.save()
        started = Change(new, actor, change.now)
        started.event(
            EventKind.SPLIT,
            field="split_from",
            old=f"#{source.number}",
            data={"ticket": source.pk, "number": source.number, "entry": entry.pk},
        )
        return started.save()
