"""The SLA sweep: the clock's periodic job.

Every minute (HELPLINE_PERIODIC_JOBS) the worker looks for open tickets whose
alarm has rung (`Ticket.sla_alarm_at`, index ticket_state_alarm) and lets the
lifecycle do what is due for each: mark a missed target overdue, fire an
escalation level. Each ticket is handled in its own transaction under its row
lock, so one broken ticket never stops the rest, and two workers sweeping at once
do each thing once (see lifecycle.escalation).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

log = logging.getLogger(__name__)

BATCH = 500
MAX_BATCHES = 20  # 10,000 tickets a minute; the rest waits for the next run
RETRY_AFTER = timedelta(minutes=5)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Handle every ticket whose alarm has rung by `now`; returns counts."""
    now = now or timezone.now()
    counts = {"looked_at": 0, "failed": 0}
    seen: set[int] = set()
    for _ in range(MAX_BATCHES):
        ids = [pk for pk in lifecycle.due_for_sweep(now, limit=BATCH) if pk not in seen]
        if not ids:
            break
        for pk in ids:
            seen.add(pk)
            counts["looked_at"] += 1
            try:
                lifecycle.sla_tick(Ticket(pk=pk), now=now)
            except Exception:
                # Logged with the ticket, whose alarm moves back a little: the next
                # runs retry it without it standing first in line every time, so a
                # batch of broken tickets cannot starve the rest.
                counts["failed"] += 1
                log.exception("SLA sweep failed for ticket id %s", pk)
                # Only while it still rings: a change that re-armed it meanwhile wins.
                Ticket.objects.filter(pk=pk, sla_alarm_at__lte=now).update(
                    sla_alarm_at=now + RETRY_AFTER
                )
    return counts
