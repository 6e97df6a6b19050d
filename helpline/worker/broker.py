"""The task worker when tasks go to a broker: RQ on Redis (HELPLINE_TASK_BROKER_URL,
helpline.ops.scaling), run by `helpline worker` instead of the database queue's.

- One process, no fork per task (RQ's `SimpleWorker`): the scheduler thread runs
  beside it (forking a process that has threads is unsafe), and the database
  connection is kept between tasks as a web process keeps it between requests,
  checked before and after each (`close_old_connections`: CONN_MAX_AGE and the
  health check), so a restarted database costs one failed task, not a dead worker.
- Redis away (restarted, unreachable): RQ's loop logs and returns; this one logs,
  waits (doubling from `first_delay` up to `max_delay`) and starts again, as the
  database worker does through database trouble (helpline.worker.runner). Jobs
  RQ held in Redis may be lost with a Redis that kept nothing on disk; mail is not:
  its outbox row stays pending and the periodic sweep (`send_due`) sends it.
- SIGTERM or SIGINT: the running task is finished, then the worker stops (RQ's
  warm shutdown); a second signal aborts the task. RQ's remote commands over
  pub/sub are not listened to (see `HelplineWorker.subscribe`).
- A worker killed mid-task (SIGKILL, the machine lost): RQ moves the job to its
  failed registry once the worker's heartbeat expires, and does not run it again.
  That is at-most-once per enqueue; docs/decisions.md says why that is enough.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any, cast

import django_rq
from django.db import close_old_connections
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.worker import SimpleWorker

log = logging.getLogger(__name__)

JOB_CLASS = "django_tasks_rq.Job"
WORKER_CLASS = "helpline.worker.broker.HelplineWorker"
BROKER_TROUBLE = (RedisConnectionError, RedisTimeoutError)


class HelplineWorker(SimpleWorker):
    """RQ's in-process worker, with Django's connection handling around each task
    and a flag telling a stop that was asked for from RQ giving up on Redis."""

    stopping = False

    def execute_job(self, job: Any, queue: Any) -> None:
        close_old_connections()
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stopping = True
        super().request_stop(signum, frame)

    def subscribe(self) -> None:
        """No listener for RQ's remote commands (`rq` CLI: shutdown, kill-horse,
        stop-job over pub/sub): signals stop this worker. RQ's listener thread
        blocks in a read of up to a minute, and its teardown waited for it (a
        SIGTERM then took longer than a supervisor's grace period), and each
        restart after a broker outage left one more behind."""


def run(
    queues: list[str],
    *,
    burst: bool = False,
    verbosity: int = 1,
    first_delay: float = 1.0,
    max_delay: float = 60.0,
    stop: threading.Event | None = None,
) -> None:
    """Work on `queues` until stopped (or, with `burst`, until they are empty)."""
    stop = stop or threading.Event()
    level = "DEBUG" if verbosity >= 2 else "WARNING" if verbosity == 0 else "INFO"
    delay = first_delay
    while not stop.is_set():
        worker: HelplineWorker | None = None
        try:
            worker = cast(
                HelplineWorker,
                django_rq.get_worker(*queues, job_class=JOB_CLASS, worker_class=WORKER_CLASS),
            )

            log.info("Starting worker %s (RQ) for queues=%s", worker.name, ",".join(queues))
            worked = worker.work(burst=burst, logging_level=level)
        except BROKER_TROUBLE as error:  # on start or teardown: Redis is away
            worked = False
            log.warning("The broker is unavailable (%s: %s).", type(error).__name__, error)
        if burst or (worker is not None and worker.stopping):
            return
        delay = first_delay if worked else delay
        log.warning("The RQ worker stopped; it starts again in %.1f s.", delay)
        _sleep(delay, stop)
        delay = min(delay * 2, max_delay)


def _sleep(seconds: float, stop: threading.Event) -> None:
    """Wait, ending the wait (and the worker) on SIGTERM or SIGINT."""

    def stop_now(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stop_now) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        stop.wait(seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
