"""Auto-close: resolved tickets that nobody answered close after their
department's `auto_close_days`.

A customer's reply reopens a resolved ticket (lifecycle.customer_reply), so a
ticket still "Resolved" after the period has had no reply since. Each ticket
closes in its own lifecycle call (event, counters, row lock); a ticket that
changed meanwhile is refused by the lifecycle and simply skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from helpline.accounts.models import Department
from helpline.tickets import lifecycle
from helpline.tickets.models import Status, StatusPurpose, Ticket
from helpline.tickets.reasons import own

log = logging.getLogger(__name__)

BATCH = 1000


def close_resolved(now: datetime | None = None) -> dict[str, int]:
    """Close every resolved ticket whose department's period has passed."""
    now = now or timezone.now()
    counts = {"closed": 0, "skipped": 0}
    resolved = Status.objects.filter(purpose=StatusPurpose.RESOLVED).first()
    if resolved is None:
        return counts
    for department in Department.objects.filter(auto_close_days__isnull=False):
        days = department.auto_close_days
        assert days is not None
        cutoff = now - timedelta(days=days)
        # Index ticket_status_resolved: (status, resolved_at), the oldest first.
        ids = (
            Ticket.objects.filter(status=resolved, resolved_at__lte=cutoff, department=department)
            .order_by("resolved_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        reason = own(f"Closed automatically: no reply {days} days after it was resolved")
        for pk in list(ids):
            try:
                lifecycle.close(Ticket(pk=pk), actor=None, reason=reason)
                counts["closed"] += 1
            except lifecycle.LifecycleError:
                counts["skipped"] += 1  # reopened or closed meanwhile
            except Exception:
                counts["skipped"] += 1
                log.exception("Auto-close failed for ticket id %s", pk)
    return counts
