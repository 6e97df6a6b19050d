"""Background work of search, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.search import indexer


@task()
def index_pending() -> int:
    """Index the tickets whose text changed: the periodic job `search.index` in
    HELPLINE_PERIODIC_JOBS. Safe to run twice and side by side: each mark is
    claimed first."""
    return indexer.index_pending()
