"""The worker survives its database going away (issue 9): a SQLite write lock held
longer than the busy timeout, PostgreSQL connections dropped under it. A real
`helpline worker` process logs, backs off, tries again and then runs the task that
was queued meanwhile."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.models import DBTaskResult

from helpline.worker.models import JobSchedule
from helpline.worker.runner import EXIT_PERMANENT, ResilientWorker
from helpline.worker.tests.jobs import count_run, slow_first_time, write_past_a_lock
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


# --- a task's own database trouble, workers that died, permanent errors -------------------


def batch_worker(**kwargs: Any) -> ResilientWorker:
    return ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
        **kwargs,
    )


@pytest.fixture
def short_busy_timeout() -> Iterator[None]:
    """A lock held "longer than the busy timeout" in a fraction of a second (on
    SQLite; PostgreSQL's task sets a short lock_timeout itself)."""
    if connection.vendor != "sqlite":
        yield
        return
    options = connection.settings_dict["OPTIONS"]
    before = options.get("timeout")
    options["timeout"] = 0.2
    connection.close()  # the next connection takes the new timeout
    yield
    options["timeout"] = before
    connection.close()


# The back-off after the lock: far longer than one run takes, however loaded the
# machine (with 0.5 s, a slow run found the task ready again and took it twice);
# the second run travels past it instead of waiting.
DELAY = 60


def test_a_task_that_meets_a_locked_database_is_queued_again_not_failed(
    short_busy_timeout: None,
) -> None:
    task = write_past_a_lock.enqueue("written")

    before = timezone.now()
    batch_worker(first_delay=DELAY, max_delay=DELAY).run()

    row = DBTaskResult.objects.get(pk=task.id)
    assert row.status == "READY", row.traceback
    assert len(row.worker_ids) == 1
    # Backed off, not retried at once: put back DELAY past the failure.
    assert row.run_after >= before + timedelta(seconds=DELAY)
    assert not JobSchedule.objects.filter(name="written").exists()

    batch_worker(first_delay=DELAY, max_delay=DELAY).run()  # not yet due: left alone
    assert DBTaskResult.objects.get(pk=task.id).status == "READY"
    with time_machine.travel(row.run_after + timedelta(seconds=1)):
        batch_worker(first_delay=DELAY, max_delay=DELAY).run()

    row = DBTaskResult.objects.get(pk=task.id)
    assert row.status == "SUCCESSFUL", row.traceback
    assert len(row.worker_ids) == 2
    assert JobSchedule.objects.filter(name="written").exists()


def wait_until_running(task_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.get(pk=task_id).status != "RUNNING":
        assert time.monotonic() < deadline, "never started"
        time.sleep(0.05)


def test_a_task_left_running_by_a_killed_worker_is_run_again_by_another() -> None:
    task = slow_first_time.enqueue()
    first = Child.worker()
    try:
        wait_until_running(task.id)
    finally:
        first.process.kill()  # SIGKILL: no chance to put the task back
        first.stop()
    assert DBTaskResult.objects.get(pk=task.id).status == "RUNNING"

    # Started at once: the task is not stale yet, the periodic look finds it.
    second = Child.worker("--stale-after", "1", "--stale-check-every", "0.2")
    try:
        wait_until_successful(task.id)
    finally:
        code = second.stop()
    assert "queued again" in second.output
    assert len(DBTaskResult.objects.get(pk=task.id).worker_ids) == 2
    assert code == 0, second.output


def test_a_task_running_less_than_the_stale_timeout_is_left_alone() -> None:
    task = slow_first_time.enqueue()
    DBTaskResult.objects.filter(pk=task.id).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["elsewhere"]
    )
    assert batch_worker(stale_after=60).requeue_stale() == 0
    assert DBTaskResult.objects.get(pk=task.id).status == "RUNNING"

    DBTaskResult.objects.filter(pk=task.id).update(
        started_at=timezone.now() - timedelta(seconds=61)
    )
    assert batch_worker(stale_after=60).requeue_stale() == 1
    assert DBTaskResult.objects.get(pk=task.id).status == "READY"


def test_a_permanent_database_error_ends_the_worker_with_status_3(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"  # no tables: "no such table"
    sqlite3.connect(str(empty)).close()
    # Permanent errors are SQLite's (a PostgreSQL error may always pass), so the
    # worker runs on an SQLite file in the PostgreSQL run too: an empty
    # DATABASE_URL means SQLite.
    worker = Child.worker("--retry-delay", "0.1", HELPLINE_TEST_DB_NAME=str(empty), DATABASE_URL="")
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.process.wait(timeout=30)
    code = worker.stop()
    assert code == EXIT_PERMANENT, worker.output
    assert "Permanent database error" in worker.output
    assert "no such table" in worker.output
    assert RETRIED not in worker.output
