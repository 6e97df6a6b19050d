"""Helpers of the outbound-mail tests: fanning out and sending what is queued."""

from __future__ import annotations

from django.core.management import call_command

from helpline.notify.fanout import fan_out
from helpline.notify.models import MailBatch, OutboundMessage, OutboundStatus
from helpline.notify.sending import deliver


def fan_out_pending() -> list[str]:
    """Fan out every pending batch in order, as the tasks queued on commit would
    (calling the task's function here: the test transaction stays open), so the
    changes made so far have their OutboundMessage rows."""
    pending = MailBatch.objects.filter(next_attempt_at__isnull=False).order_by("pk")
    return [fan_out(pk) for pk in pending.values_list("pk", flat=True)]


def deliver_pending() -> list[str]:
    """Fan out what is pending, then send every pending message in order, as the
    tasks queued on commit would (calling the tasks' functions here: the test
    transaction stays open)."""
    fan_out_pending()
    pending = OutboundMessage.objects.filter(status=OutboundStatus.PENDING).order_by("pk")
    return [deliver(pk) for pk in pending.values_list("pk", flat=True)]


def run_worker() -> None:
    """Run the queued tasks for real, as `helpline worker` does, then return.
    Only in transactional tests: the worker closes its database connection."""
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
