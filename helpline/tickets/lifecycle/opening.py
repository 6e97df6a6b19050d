"""Opening a ticket: numbers, SLA plan, the first message."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.accounts.permissions import Action, can_in_department
from helpline.automation.assignment import lock_scopes
from helpline.automation.rules import Draft, Outcome, route
from helpline.sla import clock
from helpline.sla.models import SLAPlan
from helpline.tickets.lifecycle.assignment import assign
from helpline.tickets.lifecycle.clock import plan_for, record_pause
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    NotAllowed,
    Refused,
    Rejected,
    Upload,
    _add_entry,
    _add_to_count,
    _bucket,
    _Change,
    _status_for,
    _write_events,
    actor_name,
    prepare_body,
)
from helpline.tickets.lifecycle.routing import _assign_new
from helpline.tickets.lifecycle.status import refuse_foreign_topic
from helpline.tickets.models import (
    Collaborator,
    EntryKind,
    EventKind,
    HelpTopic,
    IssuedNumber,
    Priority,
    SLASource,
    Source,
    StatusPurpose,
    Ticket,
)

NUMBER_DIGITS = 6


def _issue_number() -> str:
    """A random number of six digits (osTicket's default shape), never used before.

    Two openings that draw the same number collide on IssuedNumber's unique index;
    the loser draws again. When six digits grow crowded the draw widens a digit, so
    a number is never reused even after a million tickets.
    """
    digits = NUMBER_DIGITS
    for attempt in range(1000):
        if attempt and attempt % 20 == 0:
            digits += 1
        number = f"{secrets.randbelow(10**digits):0{digits}d}"
        try:
            with transaction.atomic():
                IssuedNumber.objects.create(number=number)
        except IntegrityError:
            continue
        return number
    raise RuntimeError("could not draw a free ticket number")  # pragma: no cover


# --- opening ------------------------------------------------------------------------


def open_ticket(
    *,
    actor: Actor,
    customer: Customer,
    subject: str,
    body_html: str | Body,
    source: str = Source.WEB,
    topic: HelpTopic | None = None,
    department: Department | None = None,
    priority: Priority | None = None,
    extra: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    assignee: Agent | None = None,
    team: Team | None = None,
    collaborators: Sequence[Customer] = (),
    autorespond: bool = True,
    mailbox_id: int | None = None,
    recipients: Sequence[str] = (),
    follows: Ticket | None = None,
) -> Ticket:
    """Open a ticket for `customer`. The actor is the customer (portal), an agent
    opening on a customer's behalf (phone), or None (system channels).

    The routing rules run first (helpline.automation.rules): they may turn the
    ticket away (`Rejected`), or set its department, topic, priority, plan, status,
    assignee or team, add collaborators and canned replies. Then, unless an agent
    assigned it while opening, the rule's or topic's fixed agent or team, and the
    department's automatic assignment, decide who gets it."""
    subject = " ".join(subject.split())
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
    if isinstance(actor, Agent) and not can_in_department(actor, Action.REPLY, department.pk):
        raise NotAllowed(
            _("You have no access to the %(department)s department.") % {"department": department}
        )
    # Sanitizing is done here, before the transaction opens (see core); a channel
    # with a transaction of its own around this call passes a prepared Body.
    body = prepare_body(body_html, uploads)
    outcome = route(
        Draft(
            source=source,
            customer=customer,
            subject=subject,
            body_text=body.text,
            topic=topic,
            department=department,
            priority=priority,
            mailbox_id=mailbox_id,
            recipients=tuple(recipients),
            extra=extra or {},
        )
    )
    if outcome.reject_reason is not None:
        raise Rejected(outcome.reject_reason or _("This request was turned away by a rule."))
    topic = outcome.topic or topic
    department = (
        outcome.department or (outcome.topic.department if outcome.topic else None) or department
    )
    priority = (
        outcome.priority
        or priority
        or (topic.priority if topic else None)
        or Priority.objects.filter(is_default=True).first()
        or Priority.objects.order_by("urgency").first()
    )
    if priority is None:
        raise Refused(_("No priorities are set up."))
    status = outcome.status or _status_for(StatusPurpose.NEW)
    now = timezone.now()
    sla: SLAPlan | None
    sla_from: str
    if outcome.sla is not None:
        sla, sla_from = outcome.sla, SLASource.RULE
    else:
        sla, sla_from = plan_for(topic, department)
    autorespond = autorespond and outcome.autorespond
    canned = [(c.title, prepare_body(c.body_html)) for c in outcome.canned_replies]
    followers = [*collaborators] + [
        find_or_create_customer(name=email.split("@")[0], email=email)
        for email in outcome.collaborators
    ]
    with transaction.atomic():
        # Assignment cursors before any counter row: the lock order every path keeps.
        fixed_team = topic.assign_team if topic is not None else None
        lock_scopes(department, [team, outcome.team, fixed_team])
        ticket = Ticket(
            number=_issue_number(),
            subject=subject[:255],
            customer=customer,
            topic=topic,
            department=department,
            priority=priority,
            status=status,
            state=status.state,
            source=source,
            sla=sla,
            sla_from=sla_from,
            extra=extra or {},
            follows=follows,
            created_at=now,
            updated_at=now,
            last_message_at=now,
        )
        for name, value in clock.start(ticket, sla, now).items():
            setattr(ticket, name, value)
        ticket.sla_alarm_at = clock.next_alarm(ticket, sla, fired=())
        ticket.save(force_insert=True)
        if ticket.sla_paused_at is not None:  # a rule opened it in a pausing status
            record_pause(ticket, now)
        _add_to_count(_bucket(ticket), +1)
        # The first message is the customer's account of the problem, even when an
        # agent typed it during a phone call; the event records who opened it.
        entry = _add_entry(
            ticket, kind=EntryKind.MESSAGE, actor=customer, body=body, now=now, source=source
        )
        change = _Change(ticket, actor, now)
        change.event(
            EventKind.CREATED,
            new=ticket.subject,
            entry=entry,
            data={
                "source": source,
                "department": department.pk,
                "topic": topic.pk if topic else None,
                "priority": priority.pk,
                # False when the channel or a rule asked for no autoresponse (e.g.
                # osTicket's `autorespond: false`); department and topic settings
                # apply too.
                "autorespond": autorespond,
                **({"follows": follows.pk} if follows is not None else {}),
            },
            reason=f"Opened by {actor_name(actor)} for {customer.name}"
            if isinstance(actor, Agent)
            else (f"Follows #{follows.number}" if follows is not None else ""),
        )
        # The rules act as Helpline itself, whoever opened the ticket.
        rules = _Change(ticket, None, now)
        for match in outcome.matches:
            rules.event(
                EventKind.ROUTED,
                field="rule",
                new=match.rule_name,
                reason="; ".join(match.actions),
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
        for person in followers:
            if person.pk != customer.pk:
                Collaborator.objects.get_or_create(ticket=ticket, customer=person)
        _write_events(change.events + rules.events)
        if assignee is not None or team is not None:
            assert isinstance(actor, Agent)  # checked above
            ticket = assign(ticket, actor=actor, agent=assignee, team=team)
            if ticket.assignee_id is None:  # a team chosen: its own mode picks a member
                ticket = _route_new(ticket, Outcome(), None, now)
        else:
            ticket = _route_new(ticket, outcome, topic, now)
        for title, canned_body in canned:
            ticket = _canned_reply(ticket, title, canned_body)
    return ticket


def _route_new(ticket: Ticket, outcome: Outcome, topic: HelpTopic | None, now: Any) -> Ticket:
    """Assign the new ticket without a person choosing (see lifecycle.routing)."""
    change = _Change(ticket, None, now)
    if outcome.agent is not None or outcome.team is not None:
        agent, team, why = outcome.agent, outcome.team, "Routing rule"
    elif topic is not None:
        agent, team, why = topic.assign_agent, topic.assign_team, f"Help topic {topic}"
    else:
        agent, team, why = None, None, ""
    _assign_new(change, agent=agent, team=team, reason=why)
    if not change.events:
        return ticket
    return change.save()


def _canned_reply(ticket: Ticket, title: str, body: Body) -> Ticket:
    """A routing rule's canned reply: a public reply from Helpline itself. It does
    not count as the first response, which is a person's."""
    change = _Change(ticket, None)
    entry = _add_entry(ticket, kind=EntryKind.REPLY, actor=None, body=body, now=change.now)
    change.event(EventKind.REPLIED, entry=entry, reason=f"Canned reply: {title}")
    return change.save()


# --- assignment -----------------------------------------------------------------------
