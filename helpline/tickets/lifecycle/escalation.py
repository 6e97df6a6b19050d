"""The clock's side of the lifecycle: marking targets missed and escalating.

`sla_tick` is what the SLA sweep calls for a ticket whose alarm has rung. Under
the ticket's row lock it re-reads everything and does only what is still due, so
two workers sweeping at once write each event once: the second finds nothing
left to do. Escalation levels are also recorded in `EscalationFired`, whose
unique key backs "each level fires once per ticket".
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.sla.models import EscalationFired, EscalationLevel, Target
from helpline.tickets import deadlines
from helpline.tickets.lifecycle.assignment import apply_transfer, system_assign
from helpline.tickets.lifecycle.auto_assignment import auto_assign
from helpline.tickets.lifecycle.clock import fired_levels, rearm_alarm
from helpline.tickets.lifecycle.core import (
    Actor,
    Change,
    Refused,
    lock_ticket,
    require_agent,
)
from helpline.tickets.models import EventKind, Ticket
from helpline.tickets.permissions import TicketAction
from helpline.tickets.reasons import english, own


def postpone_alarm(ticket_id: int, *, rang_by: datetime, until: datetime) -> bool:
    """Move the alarm of a ticket the sweep could not handle to `until`, so the
    next runs retry it without it standing first in line every time (a batch of
    broken tickets must not starve the rest). Only while it still rings by
    `rang_by`: a change that re-armed it meanwhile wins. Bookkeeping, as clearing
    an idle ticket's alarm: no event, no version bump. Returns whether it moved."""
    moved = Ticket.objects.filter(pk=ticket_id, sla_alarm_at__lte=rang_by)
    return bool(moved.update(sla_alarm_at=until))


def sla_tick(ticket: Ticket, *, now: datetime | None = None) -> Ticket:
    """Do what the clock says is due for the ticket at `now`: mark missed targets
    (with their alerts) and fire escalation levels whose moment has come."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, None)
        change = Change(ticket, None, now)
        plan = ticket.sla
        if is_idle(ticket):
            if ticket.sla_alarm_at is not None:  # bookkeeping: no version bump
                Ticket.objects.filter(pk=ticket.pk).update(sla_alarm_at=None)
                ticket.sla_alarm_at = None
            return ticket
        now = change.now
        mark_missed(change)
        fired = set(fired_levels(ticket))
        for level in deadlines.levels_of(plan):
            if plan is None or ticket.sla_id != plan.pk:
                # A level moved the ticket onto another plan (a transfer following
                # the department's plan): the old policy's later levels no longer
                # apply; rearm_alarm sets the alarm for the new plan (fix, see
                # test_escalation).
                break
            if level.pk in fired:
                continue
            moment = deadlines.level_due(ticket, plan, level)
            if moment is not None and moment <= now:
                _fire(change, level, reason=own(f"SLA: {english(level.describe)}"), by_hand=False)
        rearm_alarm(change)
        if not change.events:
            # Only the alarm moved: bookkeeping, not a change anybody made, so
            # the version stays and nobody's open edit is refused for it.
            if change.fields:
                Ticket.objects.filter(pk=ticket.pk).update(**change.fields)
            return ticket
        return change.save()


def is_idle(ticket: Ticket) -> bool:
    """Whether the clock has nothing to do for the ticket (no plan and no due time
    set by hand, not open, or paused): its alarm, if any, is only cleared."""
    manual_only = ticket.sla is None and ticket.due_is_manual
    return (
        (ticket.sla is None and not manual_only)
        or not ticket.is_open
        or ticket.sla_paused_at is not None
    )


def mark_missed(change: Change) -> None:
    """Mark the targets whose time (with the plan's grace) is over at `change.now`."""
    ticket = change.ticket
    plan, now = ticket.sla, change.now
    fr_due = ticket.first_response_due_at
    if (
        fr_due is not None
        and ticket.first_response_at is None
        and not ticket.first_response_breached
        and deadlines.overdue_at(plan, fr_due) <= now
    ):
        _missed(change, Target.FIRST_RESPONSE, fr_due)
        change.set(first_response_breached=True)
    if (
        ticket.due_at is not None
        and not ticket.resolution_breached
        and deadlines.overdue_at(plan, ticket.due_at) <= now
    ):
        _missed(change, Target.RESOLUTION, ticket.due_at)
        change.set(resolution_breached=True)


def levels_due(ticket: Ticket, fired: set[int], now: datetime) -> bool:
    """Whether an escalation level of the ticket's plan that has not fired is due."""
    plan = ticket.sla
    if plan is None:
        return False
    for level in deadlines.levels_of(plan):
        if level.pk not in fired:
            moment = deadlines.level_due(ticket, plan, level)
            if moment is not None and moment <= now:
                return True
    return False


def _missed(change: Change, target: Target, due: datetime) -> None:
    ticket = change.ticket
    change.event(
        EventKind.OVERDUE,
        field="overdue",
        old=ticket.is_overdue,
        new=True,
        reason=own(f"{english(target.label)} target missed (due {due:%Y-%m-%d %H:%M} UTC)"),
        data={"target": target.value, "due": due.isoformat()},
    )
    change.set(is_overdue=True)


def can_escalate(ticket: Ticket) -> bool:
    """Whether escalating by hand would fire a level (read-only, for showing the
    action: `escalate` checks again under the lock)."""
    if not ticket.is_open:
        return False
    levels = deadlines.levels_of(ticket.sla)
    if not levels:
        return False
    fired = set(fired_levels(ticket))
    return any(level.pk not in fired for level in levels)


def escalate(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    """An agent escalates by hand: the next level of the ticket's policy fires now."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("Say why the ticket needs escalating."))
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.ESCALATE, ticket)
        if not ticket.is_open:
            raise Refused(_("Only open tickets can be escalated."))
        levels = deadlines.levels_of(ticket.sla)
        if not levels:
            raise Refused(_("This ticket's SLA plan has no escalation policy."))
        fired = set(fired_levels(ticket))
        level = next((lv for lv in levels if lv.pk not in fired), None)
        if level is None:
            raise Refused(_("Every escalation level has already fired for this ticket."))
        change = Change(ticket, actor)
        _fire(change, level, reason=reason, by_hand=True)
        rearm_alarm(change)
        return change.save()


def _fire(change: Change, level: EscalationLevel, *, reason: str, by_hand: bool) -> None:
    """Record the level and apply its actions to the change."""
    ticket = change.ticket
    had_agent = ticket.assignee_id is not None
    EscalationFired.objects.create(ticket=ticket, level=level, fired_at=change.now, by_hand=by_hand)
    label = english(level.__str__)  # "Level 2" unless named: stored in English
    change.event(
        EventKind.ESCALATED,
        field="escalation",
        old=_level_name(ticket.escalation_level),
        new=label,
        reason=reason,
        data={
            "level": level.pk,
            "order": level.order,
            "by_hand": by_hand,
            "notify_assignee": level.notify_assignee,
            "notify_manager": level.notify_manager,
            "agents": [a.pk for a in level.notify_agents.all()],
        },
    )
    change.set(escalation_level=max(ticket.escalation_level, level.order))
    why = own(f"Escalation: {label}")
    if level.transfer_to_id and level.transfer_to and level.transfer_to_id != ticket.department_id:
        apply_transfer(change, level.transfer_to, why)
    # An inactive team is skipped by system_assign; without this check its agent
    # was still released, leaving the ticket with nobody (fix, see test_escalation).
    team = level.assign_team if level.assign_team and level.assign_team.is_active else None
    # Handed to a team (Level II): the current agent lets go unless they are in
    # that team, and the team's own automatic assignment picks a member.
    if (
        team is not None
        and level.assign_agent is None
        and ticket.assignee_id is not None
        and not team.members.filter(pk=ticket.assignee_id).exists()
    ):
        change.event(EventKind.RELEASED, field="agent", old=ticket.assignee, reason=why)
        change.set(assignee=None)
    system_assign(change, agent=level.assign_agent, team=team, reason=why)
    # Handed to a team, or let go by a transfer: the scope's own assignment picks.
    if ticket.assignee_id is None and (team is not None or had_agent):
        auto_assign(change, why=why)
    priority = level.raise_priority_to
    if priority is not None and priority.urgency > ticket.priority.urgency:
        change.event(
            EventKind.EDITED, field="priority", old=ticket.priority, new=priority, reason=why
        )
        change.set(priority=priority)


def _level_name(order: int) -> str:
    return f"Level {order}" if order else ""


def due_for_sweep(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of open tickets whose alarm has rung, soonest first (index ticket_state_alarm)."""
    now = now or timezone.now()
    return list(
        Ticket.objects.filter(state="open", sla_alarm_at__lte=now)
        .order_by("sla_alarm_at")
        .values_list("pk", flat=True)[:limit]
    )
