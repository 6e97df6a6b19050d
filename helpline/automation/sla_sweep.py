"""The SLA sweep: the clock's periodic job.

Every minute (HELPLINE_PERIODIC_JOBS) the worker looks for open tickets whose
alarm has rung (`Ticket.sla_alarm_at`, index ticket_state_alarm) and lets the
lifecycle do what is due for each: mark a missed target overdue, fire an
escalation level. Targets missed are marked a hundred tickets at a time in one
transaction (`lifecycle.sla_tick_many`: 10,000 tickets falling due at once take
seconds, not minutes); a ticket with an escalation level due, or one the batch
could not decide, is handled in its own transaction under its row lock
(`lifecycle.sla_tick`), so one broken ticket never stops the rest. Two workers
sweeping at once do each thing once: both paths re-read the tickets under their
locks and do only what is still due (see lifecycle.escalation).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

log = logging.getLogger(__name__)

BATCH = 500
# Tickets decided and written in one transaction (lifecycle.sla_tick_many): small
# enough that the write lock (SQLite) or the row locks are held for a moment only.
CHUNK = 100
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
        seen.update(ids)
        counts["looked_at"] += len(ids)
        for start in range(0, len(ids), CHUNK):
            for pk in _batch(ids[start : start + CHUNK], now):
                _one(pk, now, counts)
    return counts


def _batch(ids: list[int], now: datetime) -> list[int]:
    """The common case for a chunk at once (lifecycle.sla_tick_many); returns the
    ids to handle one by one: all of them if the batch itself failed."""
    try:
        return lifecycle.sla_tick_many(ids, now=now)
    except Exception:
        log.exception("SLA sweep: a batch of %s tickets failed; trying them one by one", len(ids))
        return ids


def _one(pk: int, now: datetime, counts: dict[str, int]) -> None:
    try:
        lifecycle.sla_tick(Ticket(pk=pk), now=now)
    except Exception:
        # Logged with the ticket, whose alarm moves back a little (see
        # lifecycle.postpone_alarm).
        counts["failed"] += 1
        log.exception("SLA sweep failed for ticket id %s", pk)
        lifecycle.postpone_alarm(pk, rang_by=now, until=now + RETRY_AFTER)
