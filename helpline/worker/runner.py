"""The task worker, kept alive through database trouble.

django-tasks-db's `Worker` claims a task in a transaction that, on SQLite, begins
with `BEGIN EXCLUSIVE`. When another connection holds the write lock for longer
than the busy timeout (issue 9: a hostile mail held it for minutes), that BEGIN
fails with "database is locked" outside the worker's own error handling, and the
worker process died; on PostgreSQL a restart or a dropped connection did the same.
`ResilientWorker` catches these errors when they are *transient* (`is_transient`:
SQLite busy or locked; on other databases any OperationalError or InterfaceError,
i.e. the database is unreachable or busy, not that a query is wrong), logs them,
closes its connections and tries again after a back-off that doubles from
FIRST_DELAY up to MAX_DELAY, so a database that is down for an hour costs one log
line a minute.

What else can go wrong, and what happens then:

- A task that itself fails with a transient database error (its own write met the
  lock) did not fail: it is put back in the queue (READY, `run_after` pushed back
  by the same doubling back-off, counted by its attempts), not marked failed for
  good. After MAX_ATTEMPTS attempts it is marked failed like any other error.
- A task whose result could not be recorded because of such an error (it ran, or
  was running, when the database went away) is put back in the queue once the
  database answers again: tasks are written to be safe to run twice, and leaving it
  marked "running" would lose it for good.
- A task left RUNNING by a worker that died (SIGKILL, the machine rebooted) is
  queued again once it has been running for longer than `stale_after` (default
  STALE_AFTER): every worker looks when it starts and every STALE_CHECK_EVERY
  seconds. Longer than any of our tasks takes; a task still really running that
  long would run twice, which tasks are written to survive. A task that has been
  claimed MAX_ATTEMPTS times (it kills its worker each time) is marked failed.
- A permanent database error in the worker's own queries (SQLite: no such table,
  disk I/O error, a corrupt or read-only file) is no reason to wait: retrying it
  forever would hide it. It is logged and the worker exits with EXIT_PERMANENT, so
  that its supervisor (`scripts/serve`, systemd) logs and restarts it.

Any other exception still ends the process, and `scripts/serve` restarts it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
STALE_AFTER = 1800.0
STALE_CHECK_EVERY = 60.0
MAX_ATTEMPTS = 25
EXIT_PERMANENT = 3
DATABASE_TROUBLE = (OperationalError, InterfaceError)
# SQLite's primary result codes for "another connection holds the lock".
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class PermanentDatabaseError(Exception):
    """A database error that waiting does not cure; the worker exits on it."""


def is_transient(error: BaseException) -> bool:
    """Will trying again later help? Only for the database being busy or away."""
    if not isinstance(error, DATABASE_TROUBLE):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        if code is None:  # not raised by the SQLite library itself
            return "locked" in str(cause) or "busy" in str(cause)
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return True  # PostgreSQL & co.: connection refused, dropped, restarting


def backoff(attempt: int, first_delay: float, max_delay: float) -> float:
    """The wait after the `attempt`-th failure (1, 2, ...): doubling, capped."""
    return min(first_delay * 2 ** max(attempt - 1, 0), max_delay)


class ResilientWorker(Worker):
    def __init__(
        self,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        stale_after: float = STALE_AFTER,
        stale_check_every: float = STALE_CHECK_EVERY,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.stale_after = stale_after
        self.stale_check_every = stale_check_every
        self._unrecorded: DBTaskResult | None = None  # a task cut off by the database
        self._stopped = threading.Event()

    def run(self) -> None:
        if not self.batch:
            threading.Thread(target=self._watch_stale, name="stale-tasks", daemon=True).start()
        try:
            self._run()
        finally:
            self._stopped.set()

    def _run(self) -> None:
        delay = self.first_delay
        while self.running:
            started = time.monotonic()
            try:
                self._requeue_unrecorded()
                self.requeue_stale()
                super().run()
                return
            except DATABASE_TROUBLE as error:
                if not is_transient(error):
                    log.error(
                        "Permanent database error (%s: %s); the worker exits.",
                        type(error).__name__,
                        str(error).strip() or "no detail",
                    )
                    raise PermanentDatabaseError(str(error)) from error
                if time.monotonic() - started > 2 * self.max_delay:
                    delay = self.first_delay  # it had been working: start over
                log.warning(
                    "The database is unavailable (%s: %s); the worker tries again in %.0f s.",
                    type(error).__name__,
                    str(error).strip() or "no detail",
                    delay,
                )
                connections.close_all()
                # SIGTERM during the sleep ends the process cleanly (Worker.shutdown).
                time.sleep(delay)
                delay = min(delay * 2, self.max_delay)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The task's own transient database error reaches set_failed: requeue instead.
        set_failed = db_task_result.set_failed

        def fail_or_requeue(error: BaseException) -> None:
            attempts = len(db_task_result.worker_ids)
            if is_transient(error) and attempts < MAX_ATTEMPTS:
                self._requeue_later(db_task_result, error, attempts)
            else:
                set_failed(error)

        db_task_result.set_failed = fail_or_requeue
        try:
            super().run_task(db_task_result)
        except DATABASE_TROUBLE:
            self._unrecorded = db_task_result
            raise

    def _requeue_later(self, task: DBTaskResult, error: BaseException, attempts: int) -> None:
        connection.close_if_unusable_or_obsolete()
        delay = backoff(attempts, self.first_delay, self.max_delay)
        run_after = timezone.now() + timedelta(seconds=delay)
        DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None, run_after=run_after
        )
        # The instance too: the task_finished log line then says state=READY.
        task.status, task.started_at, task.run_after = TaskResultStatus.READY, None, run_after
        log.warning(
            "Task %s met a database error (%s: %s) on attempt %d; it runs again in %.1f s.",
            task.pk,
            type(error).__name__,
            str(error).strip() or "no detail",
            attempts,
            delay,
        )

    def _requeue_unrecorded(self) -> None:
        task = self._unrecorded
        if task is None:
            return
        requeued = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        self._unrecorded = None
        if requeued:
            log.warning("Task %s was cut off by the database; it is queued again.", task.pk)

    def requeue_stale(self) -> int:
        """Queue again the tasks left RUNNING longer than `stale_after` (their worker
        died); fail those claimed MAX_ATTEMPTS times. Returns how many were queued.
        Each row is changed only if it is still the same claim, so workers checking
        at once requeue a task once."""
        cutoff = timezone.now() - timedelta(seconds=self.stale_after)
        stale = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff, backend_name=self.backend_name
        ).only("pk", "started_at", "worker_ids")
        requeued = 0
        for task in stale[:1000]:
            same_claim = DBTaskResult.objects.filter(
                pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
            )
            if len(task.worker_ids) >= MAX_ATTEMPTS:
                same_claim.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=timezone.now(),
                    exception_class_path="helpline.worker.runner.StaleTask",
                    traceback=f"Its worker stopped during each of {len(task.worker_ids)} "
                    "attempts; it is not tried again.",
                )
                log.error("Task %s killed its worker %d times; failed.", task.pk, MAX_ATTEMPTS)
            elif same_claim.update(status=TaskResultStatus.READY, started_at=None):
                requeued += 1
                log.warning(
                    "Task %s was left running since %s (its worker stopped); queued again.",
                    task.pk,
                    task.started_at,
                )
        return requeued

    def _watch_stale(self) -> None:
        """Every `stale_check_every` seconds, `requeue_stale`, with its own connection."""
        while not self._stopped.wait(self.stale_check_every):
            try:
                self.requeue_stale()
            except DATABASE_TROUBLE as error:  # the main loop reports and handles these
                log.debug("Stale task check skipped: %s", error)
                connection.close()
            except Exception:
                log.exception("Stale task check failed")
        connection.close()
