"""The worker survives its database going away (issue 9): a SQLite write lock held
longer than the busy timeout, PostgreSQL connections dropped under it. A real
`helpline worker` process logs, backs off, tries again and then runs the task that
was queued meanwhile."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.worker.tests.jobs import count_run
from helpline.worker.tests.processes import Child

pytestmark = pytest.mark.django_db(transaction=True)

RETRIED = "The database is unavailable"


def wait_until_successful(task_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if DBTaskResult.objects.get(pk=task_id).status == "SUCCESSFUL":
            return
        time.sleep(0.1)
    raise AssertionError(DBTaskResult.objects.get(pk=task_id).status)


def hold_the_write_lock(seconds: float) -> None:
    """What a long write transaction does to every other writer of the file."""
    other = sqlite3.connect(str(connection.settings_dict["NAME"]), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


def drop_connections(seconds: float) -> None:
    """What a PostgreSQL restart does to a worker: its connections are cut."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            time.sleep(0.05)


def test_the_worker_waits_out_a_locked_or_dropped_database_then_runs_the_queued_task() -> None:
    worker = Child.worker("--retry-delay", "0.2", "--max-retry-delay", "1",
                          HELPLINE_TEST_SQLITE_TIMEOUT="0.5")  # fmt: skip
    try:
        worker.wait_for("Starting worker")
        # Queued now, due once the trouble is over.
        task = count_run.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue()
        if connection.vendor == "sqlite":
            hold_the_write_lock(4)  # eight busy timeouts
        else:
            drop_connections(4)
        wait_until_successful(task.id)
        assert worker.process.poll() is None, worker.output
    finally:
        code = worker.stop()
    assert RETRIED in worker.output
    assert code == 0, worker.output
