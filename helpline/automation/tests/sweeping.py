"""Helpers of the sweep and escalation tests: a plan with targets and a policy,
and what the clock wrote (events, fired levels, queued alerts)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.sla.models import EscalationFired, EscalationLevel, EscalationPolicy, SLAPlan
from helpline.tickets.models import Event, EventKind, Ticket

ADDRESS = re.compile(r"<([^>]+)>")


def targets(world: World, *, first_response: str = "1", resolution: str = "8") -> SLAPlan:
    """The world's default plan with a first-response and a resolution target (hours)."""
    plan = world.sla
    plan.first_response_hours = Decimal(first_response)
    plan.resolution_hours = Decimal(resolution)
    plan.save()
    return plan


def policy(plan: SLAPlan, *levels: dict[str, Any]) -> list[EscalationLevel]:
    """Give `plan` a policy whose levels are made from `levels` (field values;
    `notify_agents` may be a list of agents), in order 1, 2, ..."""
    made = []
    escalation = EscalationPolicy.objects.create(name=f"Policy of {plan.name}")
    for order, fields in enumerate(levels, start=1):
        fields = dict(fields)
        named = fields.pop("notify_agents", [])
        level = EscalationLevel.objects.create(policy=escalation, order=order, **fields)
        level.notify_agents.set(named)
        made.append(level)
    plan.escalation_policy = escalation
    plan.save()
    return made


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_related(
        "status", "department", "assignee", "team", "priority"
    ).get(pk=ticket.pk)


def events(ticket: Ticket, kind: str) -> list[Event]:
    return list(Event.objects.filter(ticket_id=ticket.pk, kind=kind).order_by("pk"))


def overdue_reasons(ticket: Ticket) -> list[str]:
    return [e.reason for e in events(ticket, EventKind.OVERDUE) if e.new_value == "True"]


def escalations(ticket: Ticket) -> list[str]:
    """The levels that fired for the ticket, in the order they fired."""
    return [e.new_value for e in events(ticket, EventKind.ESCALATED)]


def fired(ticket: Ticket) -> list[tuple[int, bool]]:
    rows = EscalationFired.objects.filter(ticket_id=ticket.pk).order_by("level__order")
    return list(rows.values_list("level__order", "by_hand"))


def emails(addresses: list[str]) -> list[str]:
    return [m.group(1) for a in addresses if (m := ADDRESS.search(a))]


def alerted(ticket: Ticket, kind: MailKind) -> list[str]:
    """Who the queued mails of `kind` about the ticket go to, one entry per mail."""
    fan_out_pending()
    rows = OutboundMessage.objects.filter(ticket_id=ticket.pk, kind=kind).order_by("pk")
    return sorted(e for row in rows for e in emails(row.to))


def mail_counts(kind: MailKind) -> Counter[tuple[int, str]]:
    """(ticket id, recipient) -> how many mails of `kind` are queued."""
    fan_out_pending()
    rows = OutboundMessage.objects.filter(kind=kind)
    return Counter((row.ticket_id or 0, e) for row in rows for e in emails(row.to))
