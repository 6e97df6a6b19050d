"""Opening a ticket: a `NewTicket` request in, a ticket with its number, SLA plan,
first message, assignee and collaborators out, in one transaction.

`open_ticket` runs named steps, each a small function below:

1. `_checked`: who may ask for what (a customer picks a public topic, only agents
   assign); runs before anything is read or written.
2. `_apply_rules`: the opening rules registered with the lifecycle (see `hooks`;
   helpline.automation's routing rules) may turn the ticket away or change it.
3. `_place`: department, topic, priority, status and SLA plan, from the rules'
   answer, the channel's request and the defaults.
4. In the transaction: `_write_ticket` (assignment cursors, the row with its
   number and clock, the queue counter, the first message), `_add_collaborators`
   (the channel's and the rules', customers created here so that a refused
   opening leaves no row behind), `_record_opening` (the "created" and "routed"
   events, which queue the mail), `_assign_first` (the agent's choice, else the
   rule's or topic's fixed agent or team, else automatic assignment) and
   `_canned_reply` for each canned reply of the rules.

Sanitizing happens before the transaction (see core), the rest inside it; the
effects (mail, webhooks) are scheduled by the events, on commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.sla.models import SLAPlan
from helpline.tickets import deadlines
from helpline.tickets.lifecycle.assignment import assign
from helpline.tickets.lifecycle.auto_assignment import assign_new, lock_scopes
from helpline.tickets.lifecycle.clock import plan_for, record_pause
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    Change,
    NotAllowed,
    Refused,
    Rejected,
    Upload,
    actor_name,
    add_entry,
    add_to_count,
    prepare_body,
    queue_bucket,
    status_for,
    write_events,
)
from helpline.tickets.lifecycle.hooks import OpeningDraft, RuleOutcome, run_opening_rules
from helpline.tickets.lifecycle.status import refuse_foreign_topic
from helpline.tickets.models import (
    Attachment,
    Collaborator,
    Entry,
    EntryKind,
    EventKind,
    HelpTopic,
    IssuedNumber,
    Priority,
    SLASource,
    Source,
    Status,
    StatusPurpose,
    Ticket,
)
from helpline.tickets.permissions import TicketAction, can_in_department
from helpline.tickets.reasons import own

NUMBER_DIGITS = 6


def _issue_number() -> str:
    """A random number of six digits (osTicket's default shape), never used before.

    Two openings that draw the same number collide on IssuedNumber's unique index;
    the loser draws again. When six digits grow crowded the draw widens a digit, so
    a number is never reused even after a million tickets.

    One statement per draw: `INSERT ... ON CONFLICT DO NOTHING RETURNING` (SQLite
    3.35+ and PostgreSQL alike) returns no row when the number is taken, where
    catching the IntegrityError needed a savepoint around the INSERT (two more
    statements on every ticket; issue 11).
    """
    table = connection.ops.quote_name(IssuedNumber._meta.db_table)
    column = connection.ops.quote_name("number")  # IssuedNumber.number
    sql = (
        f"INSERT INTO {table} ({column}) VALUES (%s) "  # noqa: S608 - names from the model
        f"ON CONFLICT DO NOTHING RETURNING {column}"
    )
    digits = NUMBER_DIGITS
    for attempt in range(1000):
        if attempt and attempt % 20 == 0:
            digits += 1
        number = f"{secrets.randbelow(10**digits):0{digits}d}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [number])
            if cursor.fetchone() is not None:
                return number
    raise RuntimeError("could not draw a free ticket number")  # pragma: no cover


# --- the request ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket:
    """A new ticket as a channel parsed it, before any rule or default applies.

    `customer` is who the ticket is for; `body_html` the first message (raw HTML,
    or a `Body` prepared already by a channel that holds a transaction of its own
    around the call). A customer picks a help `topic`; an agent (or a system
    channel) may name a `department` instead, and an agent may choose the
    `priority`, an `assignee` and a `team`. `extra` holds the topic form's
    answers, `collaborators` the people copied in, `mailbox_id` and `recipients`
    where the mail came in (the rules read them), and `follows` the ended ticket a
    late reply continues. `autorespond=False` asks for no autoresponse (osTicket's
    `autorespond: false`). `phone` is the number given with the ticket, kept on it
    (Ticket.contact_phone). `first_entry` is a message of another ticket that
    becomes this one's first, moved with its author, time and files instead of a
    new one written from `body_html` (a message split off: lifecycle.linking)."""

    customer: Customer
    subject: str
    body_html: str | Body
    source: str = Source.WEB
    topic: HelpTopic | None = None
    department: Department | None = None
    priority: Priority | None = None
    extra: Mapping[str, Any] | None = None
    uploads: Sequence[Upload] = ()
    assignee: Agent | None = None
    team: Team | None = None
    collaborators: Sequence[Customer] = ()
    autorespond: bool = True
    mailbox_id: int | None = None
    recipients: Sequence[str] = ()
    phone: str = ""
    follows: Ticket | None = None
    first_entry: Entry | None = None


@dataclass(frozen=True)
class _Placement:
    """Where the new ticket goes, once the rules have spoken (see `_place`)."""

    topic: HelpTopic | None
    department: Department
    priority: Priority
    status: Status
    sla: SLAPlan | None
    sla_from: str
    autorespond: bool


# --- opening ------------------------------------------------------------------------


def open_ticket(new: NewTicket, *, actor: Actor) -> Ticket:
    """Open the ticket `new` asks for. The actor is the customer (portal), an agent
    opening on a customer's behalf (phone), or None (system channels).

    Refuses with `Refused`/`NotAllowed` (bad request) or `Rejected` (a rule turned
    it away) before anything is written; see the module docstring for the steps."""
    new = _checked(new, actor)
    # Sanitizing is done here, before the transaction opens (see core); a channel
    # with a transaction of its own around this call passes a prepared Body.
    body = prepare_body(new.body_html, new.uploads)
    outcome = _apply_rules(new, body)
    place = _place(new, outcome)
    canned = [(c, prepare_body(c.body_html)) for c in outcome.canned_replies]
    now = timezone.now()
    with transaction.atomic():
        ticket, entry = _write_ticket(new, place, outcome, body, now)
        _add_collaborators(ticket, new, outcome)
        _record_opening(ticket, entry, new, place, outcome, actor, now)
        ticket = _assign_first(ticket, new, place, outcome, actor, now)
        for reply, canned_body in canned:
            # Its variables need the ticket, which exists only now; filling a
            # sanitized body with escaped values is a substitution, no parsing.
            filled = Body(reply.fill(canned_body.html, ticket), canned_body.uploads)
            ticket = _canned_reply(ticket, reply.title, filled)
    return ticket


def _checked(new: NewTicket, actor: Actor) -> NewTicket:
    """The request as the actor may make it, with its department filled in: it is
    refused before anything is read or written when they may not."""
    customer, topic, department, priority = new.customer, new.topic, new.department, new.priority
    assignee, team = new.assignee, new.team
    subject = " ".join(new.subject.split())
    if not subject:
        raise Refused(_("A subject is required."))
    if isinstance(actor, Customer):
        if actor.pk != customer.pk:
            raise NotAllowed(_("Customers open tickets only for themselves."))
        if topic is None:  # customers pick a topic; a department alone is no topic
            raise Refused(_("Choose a help topic."))
        if not (topic.is_public and topic.is_active):
            raise Refused(_("That help topic is not available."))
        department = priority = None  # customers pick a topic, not routing
        assignee = team = None
    if topic is None and department is None:
        raise Refused(_("Choose a help topic."))
    if (assignee is not None or team is not None) and not isinstance(actor, Agent):
        raise NotAllowed(_("Only agents assign tickets."))
    if isinstance(actor, Agent) and topic is not None and department is not None:
        refuse_foreign_topic(topic, department, transferable=False)
    department = department or (topic.department if topic else None)
    assert department is not None
    if isinstance(actor, Agent) and not can_in_department(actor, TicketAction.REPLY, department.pk):
        raise NotAllowed(
            _("You have no access to the %(department)s department.") % {"department": department}
        )
    return replace(
        new,
        subject=subject,
        department=department,
        priority=priority,
        assignee=assignee,
        team=team,
    )


def _apply_rules(new: NewTicket, body: Body) -> RuleOutcome:
    """The registered opening rules' answer (lifecycle.hooks); `Rejected` when
    they turn the ticket away. Runs outside the transaction: rules read, the
    ticket is not there yet."""
    outcome = run_opening_rules(
        OpeningDraft(
            source=new.source,
            customer=new.customer,
            subject=new.subject,
            body_text=body.text,
            topic=new.topic,
            department=new.department,
            priority=new.priority,
            mailbox_id=new.mailbox_id,
            recipients=tuple(new.recipients),
            extra=new.extra or {},
        )
    )
    if outcome.reject_reason is not None:
        raise Rejected(outcome.reject_reason or _("This request was turned away by a rule."))
    return outcome


def _place(new: NewTicket, outcome: RuleOutcome) -> _Placement:
    """Topic, department, priority, status and plan: a rule's choice first, then
    the channel's, then the topic's and the site's defaults."""
    topic = outcome.topic or new.topic
    department = (
        outcome.department
        or (outcome.topic.department if outcome.topic else None)
        or new.department
    )
    assert department is not None  # _checked filled it in
    priority = (
        outcome.priority
        or new.priority
        or (topic.priority if topic else None)
        or Priority.objects.filter(is_default=True).first()
        or Priority.objects.order_by("urgency").first()
    )
    if priority is None:
        raise Refused(_("No priorities are set up."))
    status = outcome.status or status_for(StatusPurpose.NEW)
    sla: SLAPlan | None
    sla_from: str
    if outcome.sla is not None:
        sla, sla_from = outcome.sla, SLASource.RULE
    else:
        sla, sla_from = plan_for(topic, department)
    return _Placement(
        topic=topic,
        department=department,
        priority=priority,
        status=status,
        sla=sla,
        sla_from=sla_from,
        autorespond=new.autorespond and outcome.autorespond,
    )


def _write_ticket(
    new: NewTicket, place: _Placement, outcome: RuleOutcome, body: Body, now: datetime
) -> tuple[Ticket, Entry]:
    """The ticket row, its queue counter and its first message."""
    # Assignment cursors before any counter row: the lock order every path keeps.
    fixed_team = place.topic.assign_team if place.topic is not None else None
    lock_scopes(place.department, [new.team, outcome.team, fixed_team])
    ticket = Ticket(
        number=_issue_number(),
        subject=new.subject[:255],
        customer=new.customer,
        topic=place.topic,
        department=place.department,
        priority=place.priority,
        status=place.status,
        state=place.status.state,
        source=new.source,
        contact_phone=new.phone.strip()[:40] or None,
        sla=place.sla,
        sla_from=place.sla_from,
        extra=dict(new.extra or {}),
        follows=new.follows,
        created_at=now,
        updated_at=now,
        last_message_at=now,
    )
    for name, value in deadlines.start(ticket, place.sla, now).items():
        setattr(ticket, name, value)
    ticket.sla_alarm_at = deadlines.next_alarm(ticket, place.sla, fired=())
    ticket.save(force_insert=True)
    if ticket.sla_paused_at is not None:  # a rule opened it in a pausing status
        record_pause(ticket, now)
    add_to_count(queue_bucket(ticket), +1)
    if new.first_entry is not None:  # split off another ticket: it moves here
        entry = new.first_entry
        Attachment.objects.filter(entry=entry).update(ticket=ticket)
        Entry.objects.filter(pk=entry.pk).update(ticket=ticket)
        entry.ticket = ticket
        return ticket, entry
    # The first message is the customer's account of the problem, even when an
    # agent typed it during a phone call; the event records who opened it.
    entry = add_entry(
        ticket, kind=EntryKind.MESSAGE, actor=new.customer, body=body, now=now, source=new.source
    )
    return ticket, entry


def _add_collaborators(ticket: Ticket, new: NewTicket, outcome: RuleOutcome) -> None:
    """The people the channel copied in, and those the rules add by address.

    The rules' people become customers here, inside the transaction: a refused
    opening (an agent assigning somebody who cannot take it, say) then leaves no
    customer behind that nobody asked for."""
    followers = [*new.collaborators] + [
        find_or_create_customer(name=email.split("@")[0], email=email)
        for email in outcome.collaborators
    ]
    for person in followers:
        if person.pk != new.customer.pk:
            Collaborator.objects.get_or_create(ticket=ticket, customer=person)


def _record_opening(
    ticket: Ticket,
    entry: Entry,
    new: NewTicket,
    place: _Placement,
    outcome: RuleOutcome,
    actor: Actor,
    now: datetime,
) -> None:
    """The "created" event (who opened it, from where, for the mail and the
    reports) and one "routed" event per rule that matched or failed. Writing them
    queues the new-ticket mail, so the collaborators are in place before."""
    customer, follows, department = new.customer, new.follows, place.department
    change = Change(ticket, actor, now)
    change.event(
        EventKind.CREATED,
        new=ticket.subject,
        entry=entry,
        data={
            "source": new.source,
            "department": department.pk,
            "topic": place.topic.pk if place.topic else None,
            "priority": place.priority.pk,
            # False when the channel or a rule asked for no autoresponse (e.g.
            # osTicket's `autorespond: false`); department and topic settings
            # apply too.
            "autorespond": place.autorespond,
            **({"follows": follows.pk} if follows is not None else {}),
        },
        reason=own(f"Opened by {actor_name(actor)} for {customer.name}")
        if isinstance(actor, Agent)
        else (own(f"Follows #{follows.number}") if follows is not None else ""),
    )
    # The rules act as Helpline itself, whoever opened the ticket.
    rules = Change(ticket, None, now)
    for match in outcome.matches:
        rules.event(
            EventKind.ROUTED,
            field="rule",
            new=match.rule_name,
            reason=own("; ".join(match.actions)),
            data={"rule": match.rule_id},
        )
    for rule_id, message in outcome.errors:
        rules.event(
            EventKind.ROUTED,
            field="rule_error",
            new=f"Rule {rule_id} skipped",
            reason=message,
            data={"rule": rule_id},
        )
    write_events(change.events + rules.events)


def _assign_first(
    ticket: Ticket,
    new: NewTicket,
    place: _Placement,
    outcome: RuleOutcome,
    actor: Actor,
    now: datetime,
) -> Ticket:
    """Who gets the ticket: the agent's choice while opening (checked like any
    assignment, so a refusal undoes the opening), else a rule's, else the topic's
    fixed agent or team, and automatic assignment for what is still open."""
    if new.assignee is not None or new.team is not None:
        assert isinstance(actor, Agent)  # _checked refused anybody else
        ticket = assign(ticket, actor=actor, agent=new.assignee, team=new.team)
        if ticket.assignee_id is not None:
            return ticket
        # A team was chosen: its own mode picks a member.
        return _assign_automatically(ticket, None, None, "", now)
    if outcome.agent is not None or outcome.team is not None:
        return _assign_automatically(ticket, outcome.agent, outcome.team, own("Routing rule"), now)
    topic = place.topic
    if topic is not None:
        why = own(f"Help topic {topic}")
        return _assign_automatically(ticket, topic.assign_agent, topic.assign_team, why, now)
    return _assign_automatically(ticket, None, None, "", now)


def _assign_automatically(
    ticket: Ticket, agent: Agent | None, team: Team | None, why: str, now: datetime
) -> Ticket:
    """The fixed agent or team, then the scope's mode (see lifecycle.auto_assignment),
    as Helpline itself."""
    change = Change(ticket, None, now)
    assign_new(change, agent=agent, team=team, reason=why)
    if not change.events:
        return ticket
    return change.save()


def _canned_reply(ticket: Ticket, title: str, body: Body) -> Ticket:
    """A routing rule's canned reply: a public reply from Helpline itself. It does
    not count as the first response, which is a person's."""
    change = Change(ticket, None)
    entry = add_entry(ticket, kind=EntryKind.REPLY, actor=None, body=body, now=change.now)
    change.event(EventKind.REPLIED, entry=entry, reason=own(f"Canned reply: {title}"))
    return change.save()
