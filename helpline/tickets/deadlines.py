"""A ticket's SLA clock: when its targets fall due, and when the sweep must look.

The clock starts when the ticket opens (and again when it reopens) and counts
clock time on the plan's schedule (every second for a 24/7 plan, open hours for a
business plan). While the ticket sits in one of the plan's pausing statuses the
clock stands still; on resuming, the clock time spent paused (measured on the
plan's schedule) is added to `sla_paused_seconds` and the targets move out by it:

    target due = start + target hours + paused clock time   (on the schedule)
    overdue at = target due + grace minutes                  (on the schedule)

A due date an agent sets by hand (`due_is_manual`) replaces the resolution
target's due time and is not moved by pauses or plan changes; reopening clears it.

The functions here read a ticket and return the fields to change, so the
lifecycle writes them with the rest of its change. They never save. (The
lifecycle's own module `lifecycle/clock.py` applies them to a change and records
the events; this one is the arithmetic.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from helpline.sla.models import EscalationLevel, SLAPlan, Target, Trigger
from helpline.tickets.models import Ticket


def pause_status_ids(plan: SLAPlan | None) -> frozenset[int]:
    if plan is None:
        return frozenset()
    cached: frozenset[int] | None = getattr(plan, "_pause_ids", None)
    if cached is None:
        cached = frozenset(plan.pause_statuses.values_list("id", flat=True))
        plan._pause_ids = cached  # type: ignore[attr-defined]
    return cached


def pauses(plan: SLAPlan | None, status_id: int) -> bool:
    return status_id in pause_status_ids(plan)


def _seconds(hours: Any) -> float:
    return float(hours) * 3600


def target_due(
    ticket: Ticket, plan: SLAPlan, target: Target, *, paused_more: float = 0
) -> datetime | None:
    """When `target` falls due for the ticket's current clock (None: no target).
    `paused_more` is clock time paused not yet in `sla_paused_seconds` (a pause
    still running)."""
    hours = plan.first_response_hours if target == Target.FIRST_RESPONSE else plan.resolution_hours
    if hours is None or ticket.sla_started_at is None:
        return None
    paused = ticket.sla_paused_seconds + paused_more
    return plan.add(ticket.sla_started_at, _seconds(hours) + paused)


def overdue_at(plan: SLAPlan | None, due: datetime) -> datetime:
    """When a target due at `due` counts as missed: after the grace period, on the
    plan's schedule. Without a plan (a due date set by hand) there is no grace."""
    return due if plan is None else plan.add(due, plan.grace_minutes * 60)


def start(ticket: Ticket, plan: SLAPlan | None, now: datetime) -> dict[str, Any]:
    """A fresh clock from `now` (opening, reopening). The first-response target is
    set only while the ticket has never been answered."""
    fields: dict[str, Any] = {
        "sla": plan,
        "sla_started_at": now,
        "sla_paused_seconds": 0,
        "sla_paused_at": now if pauses(plan, ticket.status_id) else None,
        "due_is_manual": False,
        "resolution_breached": False,
        "is_overdue": False,
    }
    _apply(ticket, fields)
    unanswered = ticket.first_response_at is None
    if unanswered:
        fields["first_response_due_at"] = (
            target_due(ticket, plan, Target.FIRST_RESPONSE) if plan else None
        )
        fields["first_response_breached"] = False
    # Once answered, the first-response target is history: reopening keeps its due
    # time with its met/missed flag (it used to be cleared, so the desk's SLA panel
    # lost whether the first response was met or missed after every reopen).
    fields["due_at"] = target_due(ticket, plan, Target.RESOLUTION) if plan else None
    return fields


def replan(ticket: Ticket, plan: SLAPlan | None, now: datetime) -> dict[str, Any]:
    """Recompute the targets on a changed plan, keeping the clock's start and pauses.

    A missed target stays missed if it is still missed under the new plan; the
    sweep marks one the new plan makes missed (the alarm rings at once)."""
    fields: dict[str, Any] = {"sla": plan}
    _apply(ticket, fields)
    unanswered = ticket.first_response_at is None
    fr_due = target_due(ticket, plan, Target.FIRST_RESPONSE) if plan and unanswered else None
    if unanswered:
        fields["first_response_due_at"] = fr_due
        still = fr_due is not None and plan is not None and overdue_at(plan, fr_due) <= now
        fields["first_response_breached"] = ticket.first_response_breached and still
    if not ticket.due_is_manual:
        due = target_due(ticket, plan, Target.RESOLUTION) if plan else None
        fields["due_at"] = due
        still = due is not None and plan is not None and overdue_at(plan, due) <= now
        fields["resolution_breached"] = ticket.resolution_breached and still
    _apply(ticket, fields)
    fields["is_overdue"] = standing_breach(ticket)
    return fields


def pause(ticket: Ticket, now: datetime) -> dict[str, Any]:
    if ticket.sla_paused_at is not None:
        return {}
    return {"sla_paused_at": now, "sla_alarm_at": None}


def resume(ticket: Ticket, plan: SLAPlan | None, now: datetime) -> dict[str, Any]:
    """Restart a paused clock: the paused clock time moves the targets out."""
    if ticket.sla_paused_at is None:
        return {}
    paused = 0.0 if plan is None else plan.seconds_between(ticket.sla_paused_at, now)
    fields: dict[str, Any] = {
        "sla_paused_at": None,
        "sla_paused_seconds": ticket.sla_paused_seconds + round(max(paused, 0)),
    }
    _apply(ticket, fields)
    if plan is not None:
        if ticket.first_response_at is None and ticket.first_response_due_at is not None:
            fields["first_response_due_at"] = target_due(ticket, plan, Target.FIRST_RESPONSE)
        if not ticket.due_is_manual and ticket.due_at is not None:
            fields["due_at"] = target_due(ticket, plan, Target.RESOLUTION)
    return fields


def answered(ticket: Ticket, plan: SLAPlan | None, now: datetime) -> dict[str, Any]:
    """The first public reply meets (or ends) the first-response target. A reply
    after the target and grace is a miss even if the sweep has not marked it yet,
    so the record reports read does not depend on when the sweep last ran."""
    if ticket.first_response_at is not None:
        return {}
    fields: dict[str, Any] = {"first_response_at": now}
    due = _due_at_now(ticket, plan, Target.FIRST_RESPONSE, now)
    if due is not None and not ticket.first_response_breached and overdue_at(plan, due) <= now:
        fields["first_response_breached"] = True
    _apply(ticket, fields)
    fields["is_overdue"] = standing_breach(ticket)
    return fields


def resolved(ticket: Ticket, plan: SLAPlan | None, now: datetime) -> dict[str, Any]:
    """Resolving (or closing) after the resolution target and grace is a miss, marked
    or not (see `answered`)."""
    due = _due_at_now(ticket, plan, Target.RESOLUTION, now)
    if due is not None and not ticket.resolution_breached and overdue_at(plan, due) <= now:
        return {"resolution_breached": True}
    return {}


def _due_at_now(
    ticket: Ticket, plan: SLAPlan | None, target: Target, now: datetime
) -> datetime | None:
    """The target's due time as it stands at `now`. While the clock is paused the
    stored due time does not yet include the pause so far (`resume` adds it), so
    it is worked out here with that pause counted."""
    first = target == Target.FIRST_RESPONSE
    due = ticket.first_response_due_at if first else ticket.due_at
    paused_at = ticket.sla_paused_at
    if due is None or paused_at is None or plan is None or (not first and ticket.due_is_manual):
        return due
    extra = max(plan.seconds_between(paused_at, now), 0)
    return target_due(ticket, plan, target, paused_more=extra) or due


def standing_breach(ticket: Ticket) -> bool:
    """Overdue while a missed target still stands (see Ticket.is_overdue)."""
    first = ticket.first_response_breached and ticket.first_response_at is None
    return ticket.is_open and (first or ticket.resolution_breached)


def level_due(ticket: Ticket, plan: SLAPlan, level: EscalationLevel) -> datetime | None:
    """When `level` fires for this ticket, or None when it cannot (target met or unset)."""
    if level.target == Target.FIRST_RESPONSE:
        if ticket.first_response_at is not None:
            return None
        due = ticket.first_response_due_at
        hours = plan.first_response_hours
    else:
        due = ticket.due_at
        hours = plan.resolution_hours
    if due is None or ticket.sla_started_at is None:
        return None
    if level.trigger == Trigger.BEFORE_DUE and level.percent is not None and hours is not None:
        share = _seconds(hours) * level.percent / 100
        return plan.add(ticket.sla_started_at, share + ticket.sla_paused_seconds)
    return plan.add(due, level.minutes * 60)


def levels_of(plan: SLAPlan | None) -> list[EscalationLevel]:
    """The plan's active escalation levels in order (read once per plan object)."""
    if plan is None or plan.escalation_policy_id is None:
        return []
    cached: list[EscalationLevel] | None = getattr(plan, "_levels", None)
    if cached is None:
        policy = plan.escalation_policy
        cached = list(policy.levels.all()) if policy is not None and policy.is_active else []
        plan._levels = cached  # type: ignore[attr-defined]
    return cached


def next_alarm(ticket: Ticket, plan: SLAPlan | None, fired: Iterable[int]) -> datetime | None:
    """The next moment the sweep has something to do for this ticket."""
    if not ticket.is_open or ticket.sla_paused_at is not None:
        return None
    if plan is None:
        # No plan, but a due date set by hand: it rings when it passes.
        manual = ticket.due_is_manual and ticket.due_at is not None
        return ticket.due_at if manual and not ticket.resolution_breached else None
    moments: list[datetime] = []
    if (
        ticket.first_response_at is None
        and ticket.first_response_due_at is not None
        and not ticket.first_response_breached
    ):
        moments.append(overdue_at(plan, ticket.first_response_due_at))
    if ticket.due_at is not None and not ticket.resolution_breached:
        moments.append(overdue_at(plan, ticket.due_at))
    done = set(fired)
    for level in levels_of(plan):
        if level.pk not in done:
            moment = level_due(ticket, plan, level)
            if moment is not None:
                moments.append(moment)
    return min(moments, default=None)


def _apply(ticket: Ticket, fields: dict[str, Any]) -> None:
    """Let later computations in the same step see the fields decided so far."""
    for name, value in fields.items():
        setattr(ticket, name, value)


def elapsed(
    ticket: Ticket,
    plan: SLAPlan | None,
    now: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]],
) -> tuple[int, int]:
    """How long the current clock has run at `now`, pauses left out: (wall-clock
    seconds, seconds on the plan's schedule). Without a plan the schedule is 24/7,
    so both are the same. These are what reports average and rank."""
    start = ticket.sla_started_at or ticket.created_at
    wall_paused = 0.0
    for begun, ended in pauses:
        a, b = max(begun, start), min(ended or now, now)
        if b > a:
            wall_paused += (b - a).total_seconds()
    wall = max((now - start).total_seconds() - wall_paused, 0)
    if plan is None or plan.business_schedule_id is None:
        return round(wall), round(wall)
    business = plan.seconds_between(start, now) - ticket.sla_paused_seconds
    if ticket.sla_paused_at is not None:  # a pause still open: not yet in the sum
        business -= max(plan.seconds_between(max(ticket.sla_paused_at, start), now), 0)
    return round(wall), round(max(business, 0))
