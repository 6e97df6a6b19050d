"""Periodic jobs: mail polling, outbox retries, and later the SLA sweep,
escalation and auto-close.

Jobs are django.tasks tasks named in settings.HELPLINE_PERIODIC_JOBS
({name: (dotted path of the task, seconds between runs)}, and optionally a third
item: the dotted path of a function that says whether there is work, asked
before each run: a job every few seconds then queues nothing, writes nothing and
logs nothing while there is none). The scheduler does
not run them itself: it queues them, and the worker runs them like any other task,
with its logging, failure records and clean shutdown. Claims go through
JobSchedule (see its docstring), so any number of workers can run the scheduler.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from helpline.worker.heartbeat import Heartbeat
from helpline.worker.models import JobSchedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    every: timedelta
    has_work: str = ""  # the dotted path of a function: is there anything to do?


def configured_jobs() -> list[Job]:
    return [
        Job(name, spec[0], timedelta(seconds=spec[1]), *spec[2:])
        for name, spec in settings.HELPLINE_PERIODIC_JOBS.items()
    ]


def claim(job: Job, now: datetime) -> bool:
    """Claim the job's current tick; True for exactly one caller per tick."""
    row, _ = JobSchedule.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    if row.next_run_at > now:
        return False
    claimed = JobSchedule.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
        next_run_at=now + job.every, last_run_at=now
    )
    return claimed == 1


def release(job: Job, now: datetime) -> bool:
    """Give back the tick claimed at `now` (its task could not be queued), so the
    next turn of any scheduler claims it again; True if it was still ours."""
    released = JobSchedule.objects.filter(name=job.name, next_run_at=now + job.every).update(
        next_run_at=now
    )
    return released == 1


class QueueFailures:
    """The jobs that could not be queued on the last turns, so that a broker that
    stays down is not logged as a full traceback for every job on every turn (12
    times a minute each): the traceback at a job's first failure, then one line
    per job and turn saying it still fails and why, and one when it is queued
    again. One per scheduler loop (`run_forever`)."""

    def __init__(self) -> None:
        self.turns: dict[str, int] = {}

    def failed(self, job: Job, error: BaseException) -> None:
        """Log the failure; called in the `except` block, for its traceback."""
        turns = self.turns[job.name] = self.turns.get(job.name, 0) + 1
        if turns == 1:
            log.exception(
                "Could not queue periodic job %s; trying again next turn "
                "(one line a turn while it keeps failing)",
                job.name,
            )
        else:
            log.warning(
                "Could not queue periodic job %s, %d turns in a row: %s: %s",
                job.name,
                turns,
                type(error).__name__,
                error,
            )

    def queued(self, job: Job) -> None:
        if turns := self.turns.pop(job.name, 0):
            log.warning("Queued periodic job %s again, after %d failed turns", job.name, turns)


def tick(now: datetime | None = None, failures: QueueFailures | None = None) -> list[str]:
    """Queue every due job once; returns the names queued.

    The claim is in the database whatever queue the task goes to (the database's
    or a broker's), so it holds for any number of workers either way. A task that
    cannot be queued (the broker is down) gives its tick back rather than losing
    it for a whole interval, is logged (through `failures`, which remembers the
    failures of earlier turns), and the jobs after it are still queued.
    (A broker that took the task but failed to say so gets it again next turn:
    the periodic jobs are sweeps, which find nothing left to do the second time.)"""
    now = now or timezone.now()
    failures = failures or QueueFailures()
    queued = []
    for job in configured_jobs():
        if job.has_work:
            try:
                idle = not import_string(job.has_work)()
            except Exception as error:
                # Its question failed (a bad path, a lock): queue it anyway, the
                # job finds out for itself; the jobs after it are not held up.
                log.warning(
                    "Could not ask whether periodic job %s has work (%s: %s); queuing it",
                    job.name,
                    type(error).__name__,
                    error,
                )
                idle = False
            if idle:
                continue  # nothing to do: not even a claim (a write) for it
        if claim(job, now):
            try:
                import_string(job.task_path).enqueue()
            except Exception as error:
                release(job, now)
                failures.failed(job, error)
                continue
            failures.queued(job)
            queued.append(job.name)
    return queued


def run_forever(stop: threading.Event, interval: float | None = None) -> None:
    """The scheduler loop, for a thread beside the task worker. Each turn also
    keeps the worker's heartbeat (helpline.worker.heartbeat) fresh, so /readyz
    sees a worker whose clock is turning."""
    heartbeat = Heartbeat(settings.HELPLINE_WORKER_HEARTBEAT_SECONDS)
    failures = QueueFailures()
    if interval is None:
        interval = settings.HELPLINE_SCHEDULER_SECONDS
    while not stop.is_set():
        try:
            close_old_connections()
            for name in tick(failures=failures):
                log.info("Queued periodic job %s", name)
            heartbeat.beat()
        except Exception:  # a broken database must not kill the worker
            log.exception("Periodic job scheduling failed; trying again shortly")
        stop.wait(interval)
    connection.close()
