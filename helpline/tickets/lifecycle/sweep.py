"""The SLA sweep's batch path: many tickets' missed targets in one transaction.

After an outage thousands of tickets can fall due in the same minute. One
transaction per ticket (`sla_tick`) costs a dozen statements and a commit each;
here a batch of them is read with a handful of queries, decided in Python with the
same functions `sla_tick` uses (`is_idle`, `mark_missed`, `rearm_alarm`), and
written with one UPDATE per batch, one INSERT of all the events and one change per
queue counter that moved.

Only the common case is decided here: targets missed and the alarm moved on. A
ticket with an escalation level due (which may transfer, assign or re-plan it) is
left to `sla_tick`, one by one, as is any ticket whose deciding raised: the caller
gets those ids back. The batch holds the tickets' row locks (PostgreSQL) or the
write lock (SQLite, where transactions begin IMMEDIATE) from the first read to the
commit, so nothing changes them between deciding and writing.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpline.sla.models import EscalationFired, SLAPlan
from helpline.tickets.lifecycle import escalation
from helpline.tickets.lifecycle.core import Change, add_to_count, announce
from helpline.tickets.models import Event, Ticket

log = logging.getLogger(__name__)

# The ticket columns this path may change (and `updated_at` and `version` of the
# tickets that got an event); a decision touching another is left to sla_tick.
SWEPT_FIELDS = ("is_overdue", "first_response_breached", "resolution_breached", "sla_alarm_at")


def sla_tick_many(ids: Sequence[int], *, now: datetime | None = None) -> list[int]:
    """Do what the clock says is due at `now` for the tickets `ids`, in one
    transaction; return the ids left for `sla_tick` (see the module doc)."""
    now = now or timezone.now()
    left: list[int] = []
    with transaction.atomic():
        tickets = _lock_and_read(ids)
        fired: dict[int, set[int]] = defaultdict(set)
        for ticket_id, level_id in EscalationFired.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "level_id"
        ):
            fired[ticket_id].add(level_id)
        changed: list[Change] = []
        alarms: list[Ticket] = []  # only the alarm moved: bookkeeping, no version bump
        for ticket in tickets:
            try:
                change = _decide(ticket, fired[ticket.pk], now)
            except Exception:
                log.warning("SLA sweep: ticket id %s left to the one-by-one path", ticket.pk)
                left.append(ticket.pk)
                continue
            if change is None:
                left.append(ticket.pk)
            elif change.events:
                changed.append(change)
            elif change.fields:
                alarms.append(ticket)
        _write(changed, alarms)
    return left


def _lock_and_read(ids: Sequence[int]) -> list[Ticket]:
    # The bare rows first, in id order (as lock_ticket, and so that two sweeps
    # never wait on each other in a circle); then the rows with what they need.
    list(Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    tickets = list(Ticket.objects.select_related("status").filter(pk__in=ids).order_by("pk"))
    # One object per plan, its escalation levels read once (deadlines.levels_of).
    plan_ids = {t.sla_id for t in tickets if t.sla_id is not None}
    plans = SLAPlan.objects.select_related("escalation_policy").in_bulk(plan_ids)
    for ticket in tickets:
        ticket.sla = plans.get(ticket.sla_id) if ticket.sla_id is not None else None
    return tickets


def _decide(ticket: Ticket, fired: set[int], now: datetime) -> Change | None:
    """The change the clock makes to the ticket, or None to leave it to sla_tick."""
    change = Change(ticket, None, now)
    if escalation.is_idle(ticket):
        if ticket.sla_alarm_at is not None:
            change.set(sla_alarm_at=None)
        return change
    if escalation.levels_due(ticket, fired, now):
        return None
    escalation.mark_missed(change)
    escalation.rearm_alarm(change, fired)
    if not set(change.fields) <= set(SWEPT_FIELDS):  # something this path cannot write
        return None
    return change


def _write(changed: list[Change], alarms: list[Ticket]) -> None:
    # One UPDATE per set of values: after an outage most tickets get the same
    # (overdue, missed, no further alarm), so a handful of statements for a batch.
    # (bulk_update's CASE per row and column cost more in Python than the rest.)
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for ticket in alarms:
        groups[(("sla_alarm_at", ticket.sla_alarm_at),)].append(ticket.pk)
    for key, pks in groups.items():
        Ticket.objects.filter(pk__in=pks).update(**dict(key))
    if not changed:
        return
    groups.clear()
    for change in changed:
        groups[tuple(sorted(change.fields.items()))].append(change.ticket.pk)
        change.ticket.version += 1
        change.ticket.updated_at = change.now
    now = changed[0].now
    for key, pks in groups.items():
        Ticket.objects.filter(pk__in=pks).update(
            **dict(key), updated_at=now, version=F("version") + 1
        )
    moves: Counter[tuple[int, int, int, str, bool]] = Counter()
    for change in changed:
        for bucket, delta in change.bucket_moves():
            moves[bucket] += delta
    # In bucket order, as Change.save, so concurrent writers cannot deadlock.
    for bucket, delta in sorted(moves.items()):
        if delta:
            add_to_count(bucket, delta)
    events = Event.objects.bulk_create([e for change in changed for e in change.events])
    start = 0
    for change in changed:  # each ticket's events as one change, as Change.save does
        count = len(change.events)
        announce(events[start : start + count])
        start += count
