"""Background work of search, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.search import indexer

# The most a night's compaction runs: 100,000 tickets' index was merged whole
# in 6 s, and a million's in about ten times that (docs/performance.md).
COMPACT_SECONDS = 600


@task()
def index_pending() -> int:
    """Index the tickets whose text changed: the periodic job `search.index` in
    HELPLINE_PERIODIC_JOBS. Safe to run twice and side by side: each mark is
    claimed first."""
    return indexer.index_pending()


@task()
def compact() -> bool:
    """Merge the index into its fastest form to read: the periodic job
    `search.compact`, once a day when it is in many pieces. At most
    COMPACT_SECONDS a run: a larger index goes on the next night."""
    return indexer.compact(COMPACT_SECONDS)
