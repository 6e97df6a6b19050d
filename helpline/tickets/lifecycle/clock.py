"""The SLA clock inside the lifecycle: which plan applies, restarting, pausing
and answering, due dates and plans set by hand. The clock arithmetic itself is in
`helpline.tickets.deadlines`; here it is applied to a change and recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Department
from helpline.lib import bounds
from helpline.sla.models import ClockPause, EscalationFired, SLAPlan, Target
from helpline.tickets import deadlines
from helpline.tickets.lifecycle.core import (
    Actor,
    Change,
    Refused,
    lock_ticket,
    refuse_archived,
    require_agent,
)
from helpline.tickets.models import EventKind, HelpTopic, SLASource, Status, Ticket
from helpline.tickets.permissions import TicketAction
from helpline.tickets.reasons import own

# Plans that came from these follow the ticket when its topic or department
# changes; a plan set by a rule or by hand stays.
DERIVED_PLAN_SOURCES = {SLASource.TOPIC, SLASource.DEPARTMENT, SLASource.DEFAULT, ""}


def plan_for(topic: HelpTopic | None, department: Department) -> tuple[SLAPlan | None, str]:
    """The plan a ticket gets: the help topic's, else the department's, else the default."""
    if topic is not None and topic.sla_id and topic.sla and topic.sla.is_active:
        return topic.sla, SLASource.TOPIC
    if department.sla_id and department.sla and department.sla.is_active:
        return department.sla, SLASource.DEPARTMENT
    default = SLAPlan.objects.filter(is_default=True, is_active=True).first()
    return default, (SLASource.DEFAULT if default else "")


def fired_levels(ticket: Ticket) -> list[int]:
    return list(
        EscalationFired.objects.filter(ticket_id=ticket.pk).values_list("level_id", flat=True)
    )


def rearm_alarm(change: Change, fired: Iterable[int] | None = None) -> None:
    """Set when the sweep must next look at the ticket (after any clock change);
    `fired`, the levels fired already, when the caller has read them."""
    ticket = change.ticket
    fired = fired_levels(ticket) if fired is None else fired
    alarm = deadlines.next_alarm(ticket, ticket.sla, fired)
    if alarm != ticket.sla_alarm_at:
        change.set(sla_alarm_at=alarm)


def _set_clock(change: Change, step: Callable[[], dict[str, Any]]) -> None:
    """Apply the clock fields `step` computes, and record a pause starting or
    ending in ClockPause. (The clock functions update the ticket object as they
    compute, hence a callable: the state before is read first.)"""
    ticket = change.ticket
    was_paused = ticket.sla_paused_at is not None
    change.set(**step())
    paused = ticket.sla_paused_at is not None
    if was_paused and not paused:
        _end_pauses(ticket, change.now)
    elif paused and not was_paused:
        record_pause(ticket, change.now)


def record_pause(ticket: Ticket, now: datetime) -> None:
    ClockPause.objects.create(ticket=ticket, started_at=now)


def _end_pauses(ticket: Ticket, now: datetime) -> None:
    ClockPause.objects.filter(ticket_id=ticket.pk, ended_at__isnull=True).update(ended_at=now)


def _paused_on(ticket: Ticket, plan: SLAPlan | None) -> int:
    """The clock time the ended pauses of the current clock take on `plan`."""
    start = ticket.sla_started_at
    if plan is None or start is None:
        return 0
    pauses = ClockPause.objects.filter(
        ticket_id=ticket.pk, started_at__gte=start, ended_at__isnull=False
    ).values_list("started_at", "ended_at")
    return round(sum(max(plan.seconds_between(a, b), 0) for a, b in pauses if b is not None))


def restart_clock(change: Change, plan: SLAPlan | None) -> None:
    """A fresh clock from now on `plan` (opening and reopening)."""
    ticket = change.ticket
    if ticket.sla_paused_at is not None:  # closed while paused: that pause ends now
        _end_pauses(ticket, change.now)
    change.set(sla_paused_at=None)
    _set_clock(change, lambda: deadlines.start(ticket, plan, change.now))
    rearm_alarm(change)


def status_moved(change: Change, status: Status) -> None:
    """Pause or resume the clock after the status changed to `status`."""
    ticket = change.ticket
    if deadlines.pauses(ticket.sla, status.pk):
        _set_clock(change, lambda: deadlines.pause(ticket, change.now))
    else:
        _set_clock(change, lambda: deadlines.resume(ticket, ticket.sla, change.now))
    rearm_alarm(change)


def timing(ticket: Ticket, now: datetime) -> dict[str, int]:
    """The clock's elapsed time for an event's data: {"seconds", "business_seconds"}
    (pauses left out; see deadlines.elapsed). Reports read these."""
    pauses = ClockPause.objects.filter(ticket_id=ticket.pk).values_list("started_at", "ended_at")
    wall, business = deadlines.elapsed(ticket, ticket.sla, now, pauses)
    return {"seconds": wall, "business_seconds": business}


def record_answer(change: Change, *, event_data: dict[str, Any] | None = None) -> None:
    """An agent's public reply: the first one meets the first-response target and
    ends a standing first-response breach. `event_data` is the data of the reply's
    event: the first one records how long the customer waited, and whether the
    target was met."""
    ticket = change.ticket
    was_overdue = ticket.is_overdue
    if ticket.first_response_at is None and event_data is not None:
        waited = timing(ticket, change.now)
        event_data.update(
            first_response=True,
            first_response_seconds=waited["seconds"],
            first_response_business_seconds=waited["business_seconds"],
        )
    fields = deadlines.answered(ticket, ticket.sla, change.now)
    if not fields:
        return
    change.set(**fields)
    if event_data is not None and ticket.first_response_due_at is not None:
        event_data["first_response_met"] = not ticket.first_response_breached
    if was_overdue and not ticket.is_overdue:
        change.event(
            EventKind.OVERDUE,
            field="overdue",
            old=True,
            new=False,
            reason=own("First response sent"),
            data={"target": "first_response"},
        )
    rearm_alarm(change)


def _replan(change: Change, plan: SLAPlan | None, source: str, reason: str) -> None:
    ticket = change.ticket
    old = ticket.sla
    if (plan.pk if plan else None) == ticket.sla_id:
        if source != ticket.sla_from:
            change.set(sla_from=source)
        return
    was_overdue = ticket.is_overdue
    change.event(EventKind.SLA, field="sla", old=old, new=plan, reason=reason)
    # Plans may pause on different statuses. Without this, a ticket paused by the
    # old plan stayed paused (no alarm, never overdue) under a plan that does not
    # pause its status, and one in a status the new plan pauses kept running.
    # The pause so far is measured on the new plan, like the rest of its targets.
    # Every earlier pause is measured again on the new plan's schedule, so the
    # targets are what they would be had the ticket been on this plan all along.
    change.set(sla_paused_seconds=_paused_on(ticket, plan))
    if ticket.sla_paused_at is not None and not deadlines.pauses(plan, ticket.status_id):
        _set_clock(change, lambda: deadlines.resume(ticket, plan, change.now))
    change.set(sla_from=source, **deadlines.replan(ticket, plan, change.now))
    if ticket.sla_paused_at is None and deadlines.pauses(plan, ticket.status_id):
        _set_clock(change, lambda: deadlines.pause(ticket, change.now))
    if was_overdue and not ticket.is_overdue:
        change.event(
            EventKind.OVERDUE, field="overdue", old=True, new=False, reason=own(f"Now on {plan}")
        )
    rearm_alarm(change)


def follow_plan(change: Change) -> None:
    """After a topic or department change: a derived plan follows the ticket."""
    ticket = change.ticket
    if ticket.sla_from not in DERIVED_PLAN_SOURCES:
        return
    plan, source = plan_for(ticket.topic, ticket.department)
    _replan(change, plan, source, reason=own("Plan of the new " + _what(source)))


def _what(source: str) -> str:
    names: dict[str, str] = {SLASource.TOPIC: "help topic", SLASource.DEPARTMENT: "department"}
    return names.get(source, "default")


def set_plan(
    ticket: Ticket,
    *,
    actor: Actor,
    plan: SLAPlan | None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Put the ticket on another SLA plan (or none); its targets are recomputed
    from the clock's start, pauses kept. The plan then stays through topic and
    department changes."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.SLA, ticket)
        refuse_archived(ticket)
        if (plan.pk if plan else None) == ticket.sla_id:
            raise Refused(
                _("The ticket is already on %(plan)s.") % {"plan": plan}
                if plan
                else _("The ticket already has no SLA plan.")
            )
        if plan is not None and not plan.is_active:
            raise Refused(_("%(plan)s is not active.") % {"plan": plan})
        change = Change(ticket, actor)
        _replan(change, plan, SLASource.MANUAL, reason)
        return change.save()


def set_due(
    ticket: Ticket,
    *,
    actor: Actor,
    due_at: datetime | None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Set the resolution due date by hand (None goes back to the plan's), inside
    the range of dates (helpline.lib.bounds): a due date near Python's edge once
    made the ticket page fail for every agent east of UTC."""
    if due_at is not None:
        try:
            bounds.check_datetime(due_at)
        except bounds.OutOfRange as error:
            raise Refused(str(error)) from None
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.SLA, ticket)
        if not ticket.is_open:
            raise Refused(_("Only open tickets have a due date."))
        change = Change(ticket, actor)
        if due_at is not None and due_at <= change.now:
            raise Refused(_("The due date must be in the future."))
        old = ticket.due_at
        was_overdue = ticket.is_overdue
        if due_at is None:
            if not ticket.due_is_manual:
                raise Refused(_("The due date already follows the SLA plan."))
            plan = ticket.sla
            change.set(due_is_manual=False)
            new = deadlines.target_due(ticket, plan, Target.RESOLUTION) if plan else None
        else:
            change.set(due_is_manual=True)
            new = due_at
        change.set(due_at=new, resolution_breached=False)
        change.set(is_overdue=deadlines.standing_breach(ticket))
        change.event(
            EventKind.SLA,
            field="due",
            old=_when(old),
            new=_when(new) if due_at is not None else f"{_when(new)} (from the plan)",
            reason=reason,
        )
        if was_overdue and not ticket.is_overdue:
            change.event(
                EventKind.OVERDUE, field="overdue", old=True, new=False, reason=own("New due date")
            )
        rearm_alarm(change)
        return change.save()


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "none"
