"""What the ticket page says about the SLA clock: each target's due time, how
much time is left or how long ago it passed, paused clocks and escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.tickets.deadlines import overdue_at
from helpline.tickets.models import Ticket


@dataclass(frozen=True)
class TargetView:
    key: str  # "first-response" or "resolution": for tests and the template
    label: str
    due: datetime | None
    state: str  # "met", "missed", "overdue", "soon", "ok", "paused"
    text: str  # "2 h 5 min left", "Overdue by 40 min", "Met at ..."


@dataclass(frozen=True)
class SLAView:
    plan: str
    targets: list[TargetView]
    paused_since: datetime | None
    escalation_level: int
    manual_due: bool


def span(delta: timedelta) -> str:
    """A short human duration: "3 d 4 h", "2 h 5 min", "12 min", "under a minute"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
        return _("%(days)d d") % {"days": days}
    if hours:
        if mins:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": mins} if mins else _("under a minute")


def _target(
    key: str,
    label: str,
    due: datetime | None,
    met_at: datetime | None,
    breached: bool,
    ticket: Ticket,
) -> TargetView | None:
    """How one target stands. "Missed" follows the breach flag, which counts the
    grace period, so an answer inside the grace period reads "Met"."""
    if due is None:
        return None
    now = timezone.now()
    if met_at is not None or not ticket.is_open:
        if breached:
            return TargetView(key, label, due, "missed", _("Missed"))
        return TargetView(key, label, due, "met", _("Met") if met_at is not None else _("Stopped"))
    if ticket.sla_paused_at is not None:
        return TargetView(key, label, due, "paused", _("Clock paused"))
    left = due - now
    if left <= timedelta(0):
        grace_ends = overdue_at(ticket.sla, due)
        if grace_ends > now and not breached:
            text = _("Grace period: %(span)s left") % {"span": span(grace_ends - now)}
            return TargetView(key, label, due, "soon", text)
        return TargetView(
            key, label, due, "overdue", _("Overdue by %(span)s") % {"span": span(left)}
        )
    if breached:  # missed, then a pause moved the due time out again
        return TargetView(key, label, due, "missed", _("Missed"))
    soon = left <= timedelta(hours=1)
    text = _("%(span)s left") % {"span": span(left)}
    return TargetView(key, label, due, "soon" if soon else "ok", text)


def sla_view(ticket: Ticket) -> SLAView | None:
    if ticket.sla_id is None and ticket.due_at is None:
        return None
    resolved_at = ticket.resolved_at if not ticket.is_open else None
    targets = [
        _target(
            "first-response",
            _("First response"),
            ticket.first_response_due_at,
            ticket.first_response_at,
            ticket.first_response_breached,
            ticket,
        ),
        _target(
            "resolution",
            _("Resolution"),
            ticket.due_at,
            resolved_at,
            ticket.resolution_breached,
            ticket,
        ),
    ]
    return SLAView(
        plan=ticket.sla.name if ticket.sla else _("None"),
        targets=[t for t in targets if t is not None],
        paused_since=ticket.sla_paused_at,
        escalation_level=ticket.escalation_level,
        manual_due=ticket.due_is_manual,
    )
