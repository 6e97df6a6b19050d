"""A periodic job for the scheduler's tests: counts its runs in the cache."""

from __future__ import annotations

from django.core.cache import cache
from django.tasks import task


@task()
def count_run() -> None:
    cache.set("count_run", (cache.get("count_run") or 0) + 1)
