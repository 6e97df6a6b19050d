"""Tasks for the worker's tests: a periodic job that counts its runs in the cache,
and tasks that meet database trouble."""

from __future__ import annotations

import sqlite3
import time

from django.core.cache import cache
from django.db import connection
from django.tasks import TaskContext, task
from django.utils import timezone

from helpline.worker.models import JobSchedule


@task()
def count_run() -> None:
    cache.set("count_run", (cache.get("count_run") or 0) + 1)


@task(takes_context=True)
def write_past_a_lock(context: TaskContext, name: str) -> None:
    """Writes a row. On its first attempt another connection holds SQLite's write
    lock meanwhile (what a long intake transaction does), so the write fails."""
    other = None
    if context.attempt == 1:
        other = sqlite3.connect(str(connection.settings_dict["NAME"]), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    try:
        JobSchedule.objects.create(name=name, next_run_at=timezone.now())
    finally:
        if other is not None:
            other.execute("ROLLBACK")
            other.close()


@task(takes_context=True)
def slow_first_time(context: TaskContext) -> None:
    """Hangs on its first attempt (its worker is killed meanwhile)."""
    if context.attempt == 1:
        time.sleep(120)
