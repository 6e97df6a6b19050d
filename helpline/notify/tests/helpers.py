"""Helpers of the outbound-mail tests: sending what is queued, two ways."""

from __future__ import annotations

from django.core.management import call_command

from helpline.notify.models import OutboundMessage, OutboundStatus
from helpline.notify.sending import deliver


def deliver_pending() -> list[str]:
    """Send every pending message in order, as the tasks queued on commit would
    (calling the task's function here: the test transaction stays open)."""
    pending = OutboundMessage.objects.filter(status=OutboundStatus.PENDING).order_by("pk")
    return [deliver(pk) for pk in pending.values_list("pk", flat=True)]


def run_worker() -> None:
    """Run the queued tasks for real, as `helpline worker` does, then return.
    Only in transactional tests: the worker closes its database connection."""
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
