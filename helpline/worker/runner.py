"""The task worker, kept alive through database trouble.

django-tasks-db's `Worker` claims a task in a transaction that, on SQLite, begins
with `BEGIN EXCLUSIVE`. When another connection holds the write lock for longer
than the busy timeout (issue 9: a hostile mail held it for minutes), that BEGIN
fails with "database is locked" outside the worker's own error handling, and the
worker process died; on PostgreSQL a restart or a dropped connection did the same.
`ResilientWorker` catches these errors (OperationalError, InterfaceError: the
database is unreachable or busy, not that a query is wrong), logs them, closes its
connections and tries again after a back-off that doubles from FIRST_DELAY up to
MAX_DELAY, so a database that is down for an hour costs one log line a minute.

A task whose result could not be recorded because of such an error (it ran, or
was running, when the database went away) is put back in the queue once the
database answers again: tasks are written to be safe to run twice, and leaving it
marked "running" would lose it for good.

Any other exception still ends the process, and `scripts/serve` restarts it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
DATABASE_TROUBLE = (OperationalError, InterfaceError)


class ResilientWorker(Worker):
    def __init__(
        self, *, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._unrecorded: DBTaskResult | None = None  # a task cut off by the database

    def run(self) -> None:
        delay = self.first_delay
        while self.running:
            started = time.monotonic()
            try:
                self._requeue_unrecorded()
                super().run()
                return
            except DATABASE_TROUBLE as error:
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
        try:
            super().run_task(db_task_result)
        except DATABASE_TROUBLE:
            self._unrecorded = db_task_result
            raise

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
