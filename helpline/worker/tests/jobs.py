"""Tasks for the worker's tests: a periodic job that counts its runs in the cache,
and tasks that meet database trouble."""

from __future__ import annotations

import sqlite3
import time

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.tasks import TaskContext, task
from django.utils import timezone

from helpline.worker.models import JobSchedule


@task()
def count_run() -> None:
    cache.set("count_run", (cache.get("count_run") or 0) + 1)


@task(takes_context=True)
def write_past_a_lock(context: TaskContext, name: str) -> None:
    """Writes a row. On its first attempt another connection holds a lock on the
    table meanwhile (what a long intake transaction does), so the write fails:
    SQLite's write lock past the busy timeout, or on PostgreSQL an exclusive table
    lock past a short lock_timeout (both an OperationalError)."""
    if context.attempt > 1:
        JobSchedule.objects.create(name=name, next_run_at=timezone.now())
    elif connection.vendor == "sqlite":
        other = sqlite3.connect(str(connection.settings_dict["NAME"]), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            JobSchedule.objects.create(name=name, next_run_at=timezone.now())
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        holder = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            holder.set_autocommit(False)
            with holder.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {JobSchedule._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
            JobSchedule.objects.create(name=name, next_run_at=timezone.now())
        finally:
            holder.rollback()
            holder.close()
            connection.close()  # drops the session's lock_timeout with it


@task(takes_context=True)
def slow_first_time(context: TaskContext) -> None:
    """Hangs on its first attempt (its worker is killed meanwhile)."""
    if context.attempt == 1:
        time.sleep(120)


class _Unqueueable:
    """A periodic job whose queue is down: queueing it fails, as a task on an
    unreachable broker does (the scheduler must go on with the other jobs)."""

    def enqueue(self) -> None:
        raise ConnectionError("the broker is down")


unqueueable = _Unqueueable()
