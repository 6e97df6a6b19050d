"""Making a bulk job, and running it ticket by ticket.

`start` checks nothing about the tickets themselves: it writes the job and one
item per ticket (two statements), then runs a small job at once, in the request
(at most HELPLINE_BULK_INLINE tickets, about a second of work), and queues a
larger one for the worker. A web process never works through a big selection.

`run` works a job for at most `seconds`, then stops and says whether it is done;
the worker's task (helpline.bulk.tasks) queues itself again until it is, so mail,
the SLA sweep and the search index never wait long behind a 10,000-ticket job.

Exactly once per ticket: each ticket's change and its item's outcome are written
in one transaction (the lifecycle's own transaction nests in it as a savepoint).
A runner that dies mid-way leaves every ticket either changed and marked, or
neither; the next runner goes on with the items still pending. Two runners never
work one job at once: each claims the job's lease with a conditional UPDATE and
goes only if it changed the row (DESIGN.md, "workers that claim rows").

Permission: the lifecycle checks each ticket as it would for the agent on the
ticket page; a ticket the agent can no longer see is refused here first, with a
sentence that says only that (whatever became of it is not theirs to learn).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent
from helpline.bulk.actions import ACTIONS, Loaded, Run, load, missing
from helpline.bulk.models import BulkItem, BulkJob, JobState, Outcome
from helpline.bulk.selection import Target, too_many_text
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

log = logging.getLogger(__name__)

# How long a runner holds a job: longer than a run's `seconds` plus one ticket's
# change, so a live runner never loses it; a dead one's job waits this long.
LEASE = timedelta(seconds=90)
# Items read per query while running.
CHUNK = 100


class TooMany(ValueError):
    """The agent already has HELPLINE_BULK_RUNNING jobs unfinished, or the
    selection is over HELPLINE_BULK_MAX tickets."""


def unfinished(agent: Agent) -> int:
    return BulkJob.objects.filter(agent=agent).exclude(state=JobState.DONE).count()


def start(
    agent: Agent,
    action: str,
    params: dict[str, object],
    targets: Sequence[Target],
    *,
    channel: str = "desk",
    back_url: str = "",
) -> BulkJob:
    """The job for `targets` (tickets the agent can see, each with the version the
    agent saw, or None), run now if small, else queued for the worker. TooMany
    for a selection over the limit, or an agent with too many jobs still running."""
    if len(targets) > settings.HELPLINE_BULK_MAX:
        raise TooMany(too_many_text())
    if unfinished(agent) >= settings.HELPLINE_BULK_RUNNING:
        raise TooMany(
            _("You have %(count)s bulk actions still running: wait until one of them has finished.")
            % {"count": settings.HELPLINE_BULK_RUNNING}
        )
    with transaction.atomic():
        job = BulkJob.objects.create(
            agent=agent,
            action=action,
            params=params,
            channel=channel,
            back_url=back_url[:2000],
            total=len(targets),
            created_at=timezone.now(),
        )
        BulkItem.objects.bulk_create(
            [
                BulkItem(
                    job=job,
                    position=i,
                    ticket_id=target.pk,
                    number=target.number,
                    expected_version=target.version,
                )
                for i, target in enumerate(targets)
            ],
            batch_size=1000,
        )
        if len(targets) > settings.HELPLINE_BULK_INLINE:
            transaction.on_commit(lambda: _enqueue(job.pk))
    if len(targets) <= settings.HELPLINE_BULK_INLINE:
        try:
            run(job.pk, seconds=None)
        except DatabaseError:  # the database in trouble: the periodic resume goes on
            log.exception("bulk job %s: stopped by a database error", job.pk)
        job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from helpline.bulk.tasks import run_job  # the task module imports this one

    run_job.enqueue(job_id)


def _claim(job_id: int) -> str | None:
    """Take the job's lease (None, or run out: its runner died), with a token of
    this runner's own; the token, or None if another runner holds the job."""
    now = timezone.now()
    token = secrets.token_hex(16)
    taken = (
        BulkJob.objects.filter(pk=job_id)
        .exclude(state=JobState.DONE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(state=JobState.RUNNING, lease_until=now + LEASE, runner=token)
    )
    if not taken:
        return None
    BulkJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return token


class Ran(StrEnum):
    DONE = "done"  # finished (or gone)
    MORE = "more"  # time ran out: queue it again
    BUSY = "busy"  # another runner holds it, and goes on with it


class LeaseLost(Exception):
    """Another runner took the job over (this one outlived its lease): stop."""


def run(job_id: int, seconds: float | None = 20.0) -> Ran:
    """Work the job for at most `seconds` (None: to the end).

    Every write of the job's state is conditional on this runner's token, and
    every item's outcome on the item being still pending: a runner that stalled
    past its lease (a long merge, a paused machine) and wakes beside the one that
    took over changes nothing the other did, and stops at its next write."""
    token = _claim(job_id)
    if token is None:
        unfinished = BulkJob.objects.filter(pk=job_id).exclude(state=JobState.DONE).exists()
        return Ran.BUSY if unfinished else Ran.DONE
    mine = BulkJob.objects.filter(pk=job_id, runner=token)
    job = BulkJob.objects.select_related("agent__user").get(pk=job_id)
    spec = ACTIONS[job.action]
    agent = job.agent
    loaded = load(job.params)
    gone = missing(job.action, loaded)
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        # Refusals in the agent's language (in a request, the page's).
        with override(agent.language or get_language() or settings.LANGUAGE_CODE):
            while True:
                items = list(
                    BulkItem.objects.filter(job=job, outcome=Outcome.PENDING)
                    .order_by("position")
                    .select_related("ticket")[:CHUNK]
                )
                if not items:
                    break
                visible = set(
                    Ticket.objects.visible_to(agent)
                    .filter(pk__in=[i.ticket_id for i in items if i.ticket_id])
                    .values_list("pk", flat=True)
                )
                for item in items:
                    _one(mine, item, agent, loaded, spec.run, gone, item.ticket_id in visible)
                    if deadline is not None and time.monotonic() > deadline:
                        # Let go at once; should the next run's task be lost,
                        # the periodic resume finds the lease run out.
                        mine.update(lease_until=timezone.now())
                        return Ran.MORE
                if not mine.update(lease_until=timezone.now() + LEASE):
                    raise LeaseLost
    except LeaseLost:
        log.warning("bulk job %s: another runner took it over; this one stops", job_id)
        return Ran.BUSY
    except DatabaseError:
        # The database in trouble (locked, gone): the job waits for the next run
        # (its task's retry, or the periodic resume) rather than failing tickets.
        mine.update(lease_until=timezone.now())
        raise
    mine.update(state=JobState.DONE, finished_at=timezone.now(), lease_until=None)
    return Ran.DONE


def _one(
    mine: QuerySet[BulkJob],
    item: BulkItem,
    agent: Agent,
    loaded: Loaded,
    change: Run,
    gone: str | None,
    visible: bool,
) -> None:
    """One ticket: its change and its outcome in one transaction (see the module).
    A failure that is no refusal (a bug, a broken row) is logged and refuses this
    ticket alone, so one ticket never stalls the job; the database's own trouble
    is raised (see `run`)."""
    outcome, message = Outcome.DONE, ""
    with transaction.atomic():
        if item.ticket is None or not visible:
            outcome, message = Outcome.REFUSED, _("You can no longer see this ticket.")
        elif gone:
            outcome, message = Outcome.REFUSED, gone
        else:
            try:
                with transaction.atomic():
                    change(item.ticket, agent, loaded, item.expected_version)
            except lifecycle.Conflict:
                outcome, message = Outcome.REFUSED, _("It changed meanwhile.")
            except lifecycle.LifecycleError as refusal:
                outcome, message = Outcome.REFUSED, refusal.message
            except DatabaseError:
                raise
            except Exception:
                log.exception("bulk: ticket #%s could not be changed", item.number)
                outcome = Outcome.REFUSED
                message = _("It could not be changed: an error was logged for the administrators.")
        marked = BulkItem.objects.filter(pk=item.pk, outcome=Outcome.PENDING).update(
            outcome=outcome, message=message
        )
        counter = "done" if outcome == Outcome.DONE else "refused"
        if not marked or not mine.update(**{counter: F(counter) + 1}):
            raise LeaseLost  # rolls this ticket's change back: the other runner has it


def _stale(now: datetime) -> Q:
    """Unfinished jobs no runner holds: a lease run out, or never started."""
    return Q(state=JobState.RUNNING, lease_until__lt=now) | Q(
        state=JobState.PENDING, created_at__lt=now - LEASE
    )


def resume_stale() -> int:
    """Queue again the unfinished jobs no runner holds (their task was lost, or its
    worker died): the periodic job `bulk.resume`. Returns how many."""
    stale = BulkJob.objects.filter(_stale(timezone.now())).values_list("pk", flat=True)
    ids = list(stale[:100])
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def has_work() -> bool:
    """Is there a job to resume or to forget? (The periodic job runs only then.)"""
    now = timezone.now()
    cutoff = now - timedelta(days=settings.HELPLINE_BULK_KEEP_DAYS)
    return BulkJob.objects.filter(
        _stale(now) | Q(state=JobState.DONE, finished_at__lt=cutoff)
    ).exists()


def forget_old() -> int:
    """Jobs finished over HELPLINE_BULK_KEEP_DAYS ago, with their items."""
    cutoff = timezone.now() - timedelta(days=settings.HELPLINE_BULK_KEEP_DAYS)
    deleted, _by_model = BulkJob.objects.filter(
        state=JobState.DONE, finished_at__lt=cutoff
    ).delete()
    return deleted
