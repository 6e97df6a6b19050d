"""Fanning a change's mail out, in the worker: plan, render, then claim and write.

A committed change leaves one `MailBatch` row (`outbox.queue_mail`) and one
`fan_out_mail` task. `fan_out(batch_id)`:

1. reads the batch and the ticket, puts back the ticket's fields as the change
   left them (`MailBatch.state`), reads the events, and plans and renders every
   mail (`outbox.Planner`, `compose`) with NO transaction open: rendering is the
   CPU-heavy part, and no writer of the site waits for it;
2. in one short transaction, claims the batch with a conditional DELETE (the
   attempt it read): exactly one worker sees a row count of 1 and bulk-creates
   the `OutboundMessage` rows; a second worker that rendered the same batch (a
   task run twice, the sweep beside the task) discards what it rendered;
3. on commit, queues ONE send task for the batch's messages, sent over one SMTP
   connection (`sending.deliver_many`).

Threading: each mail names the one its recipient got before about the same ticket
(compose reads the ticket's earlier mail). So a ticket's batches are fanned out in
order: `fan_out` first fans out the ticket's older pending batches (oldest first),
and leaves its own alone while an older one waits for a retry. A batch's history is
read only after every older batch of its ticket was claimed and committed (the
claim of a batch that another worker took blocks, then finds it gone: that worker
committed its mail), so it always sees their mail
(tests: test_fanout.py, two workers on one ticket).

A fan-out that fails (the database away, a bug in a template variable) is tried
again with the outbox's backoff; after the last attempt the batch stays, with
`next_attempt_at` NULL and its error, and the ticket's later batches go ahead.
`fan_out_due` is the sweep: batches whose task was lost, or whose retry has come.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone

from helpline.notify.compose import compose
from helpline.notify.models import MailBatch, OutboundMessage
from helpline.notify.outbox import Planner, enqueue
from helpline.notify.rendering import Renderer
from helpline.notify.sending import MAX_ATTEMPTS, RETRY_DELAYS
from helpline.tickets.models import Event

log = logging.getLogger(__name__)

# How many batches one fan_out_due() call fans out at most, so a backlog never keeps
# the worker from its other jobs for long.
FAN_OUT_DUE_BATCH = 200
# The ticket's relations the planner reads; loaded with the batch in one query.
TICKET_RELATIONS = (
    "ticket__customer",
    "ticket__department",
    "ticket__topic",
    "ticket__priority",
    "ticket__status",
    "ticket__assignee__user",
    "ticket__team",
)


class FanOutResult:
    DONE = "done"  # its mail is in the outbox (perhaps none: nobody to tell)
    WAITING = "waiting"  # an older batch of the ticket waits for a retry
    RETRY = "retry"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed for good (last_error says why)
    SKIPPED = "skipped"  # gone (fanned out by another worker) or failed before


def load_batch(batch: MailBatch) -> list[Event]:
    """The batch's events, each with the batch's ticket as the change left it.

    The ticket row is read now, later than the change; the fields the planner
    branches on (department, assignee, team, status, due time, ...) are put back
    from the batch, so a ticket assigned or transferred since still gets the mail
    of the moment it was opened (an assignment has a batch of its own)."""
    ticket = batch.ticket
    for name, value in batch.state.items():
        if name == "due_at":
            value = datetime.fromisoformat(value) if value else None
        # Setting a foreign key's id drops the related object read with the row
        # when it differs, so ticket.department is then read for the old id.
        setattr(ticket, name, value)
    events = list(
        Event.objects.filter(pk__in=batch.events).select_related("agent__user").order_by("pk")
    )
    for event in events:
        event.ticket = ticket
    return events


def render(batch: MailBatch) -> list[OutboundMessage]:
    """Plan and render the batch's mail; reads only, no transaction needed."""
    events = load_batch(batch)
    planner = Planner(events)
    drafts = [draft for event in events for draft in planner.plan(event)]
    return compose(drafts, Renderer()) if drafts else []


def _oldest_pending(batch_id: int) -> MailBatch | None:
    """The oldest pending batch of `batch_id`'s ticket, up to `batch_id` itself:
    `batch_id` if none older is pending; None if `batch_id` is gone."""
    ticket = MailBatch.objects.filter(pk=batch_id).values("ticket_id")[:1]
    return (
        MailBatch.objects.select_related(*TICKET_RELATIONS)
        .filter(ticket_id=Subquery(ticket), pk__lte=batch_id, next_attempt_at__isnull=False)
        .order_by("pk")
        .first()
    )


def fan_out(batch_id: int) -> str:
    """Fan out this batch, after its ticket's older pending ones. Safe to call any
    number of times, from any number of processes: each mail is written once."""
    # Bounded: each turn takes one older batch of the ticket off the list.
    for _turn in range(FAN_OUT_DUE_BATCH):
        batch = _oldest_pending(batch_id)
        if batch is None:
            return FanOutResult.SKIPPED
        if batch.next_attempt_at is None:  # excluded by the query; for the type checker
            return FanOutResult.SKIPPED
        # A batch waiting for a retry holds its ticket's younger ones back (their
        # order threads the mail); the sweep takes them up after it. A batch never
        # tried is due whatever the clocks say: the web server that wrote its time
        # may run a little ahead of this worker's clock.
        if batch.attempts > 0 and batch.next_attempt_at > timezone.now():
            return FanOutResult.WAITING
        result = _fan_out_one(batch)
        if batch.pk == batch_id:
            return result
        if result == FanOutResult.RETRY:
            return FanOutResult.WAITING
    return FanOutResult.WAITING


def _fan_out_one(batch: MailBatch) -> str:
    try:
        messages = render(batch)
    except Exception as error:
        return _postpone(batch, error)
    with transaction.atomic():
        claimed, _ = MailBatch.objects.filter(pk=batch.pk, attempts=batch.attempts).delete()
        if not claimed:
            return FanOutResult.SKIPPED
        created = OutboundMessage.objects.bulk_create(messages) if messages else []
        ids = [m.pk for m in created if m.pk is not None]
        if ids:
            # Robust: if queuing fails, the mail is pending in the outbox and
            # send_due() finds it.
            transaction.on_commit(partial(enqueue, ids), robust=True)
    return FanOutResult.DONE


def _postpone(batch: MailBatch, error: Exception) -> str:
    """Record the failure; try again after the outbox's backoff, or stop for good."""
    attempts = batch.attempts + 1
    described = f"{type(error).__name__}: {error}"[:2000]
    final = attempts >= MAX_ATTEMPTS
    when = None if final else timezone.now() + RETRY_DELAYS[attempts - 1]
    recorded = MailBatch.objects.filter(pk=batch.pk, attempts=batch.attempts).update(
        attempts=F("attempts") + 1, next_attempt_at=when, last_error=described
    )
    if not recorded:  # another worker fanned it out or recorded a failure meanwhile
        return FanOutResult.SKIPPED
    if final:
        log.error("The mail of batch %s failed for good: %s", batch.pk, described, exc_info=error)
        return FanOutResult.FAILED
    log.warning("The mail of batch %s failed, retrying at %s: %s", batch.pk, when, described)
    from helpline.notify.tasks import fan_out_mail

    try:
        fan_out_mail.using(run_after=when).enqueue(batch.pk)
    except Exception:  # pragma: no cover - the database is gone; the sweep will do it
        log.exception("Could not queue the retry of batch %s", batch.pk)
    return FanOutResult.RETRY


def fan_out_due(*, limit: int = FAN_OUT_DUE_BATCH) -> Counter[str]:
    """Fan out every batch whose time has come (up to `limit`), oldest first: those
    whose task was lost (the worker was down, queuing failed) and retries. The
    worker calls it periodically, with send_due()."""
    due = (
        MailBatch.objects.filter(next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return Counter(fan_out(pk) for pk in list(due))
