"""Background work of search, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.search import indexer

# A run of the periodic compaction: short, so the worker's other jobs (the index
# itself, mail, the SLA sweep) never wait long behind it; a step is about a tenth
# of a second.
COMPACT_SLICE_SECONDS = 2.0


@task()
def index_pending() -> int:
    """Index the tickets whose text changed: the periodic job `search.index` in
    HELPLINE_PERIODIC_JOBS. Safe to run twice and side by side: each mark is
    claimed first."""
    return indexer.index_pending()


@task()
def compact() -> bool:
    """The routine merge of the index's pieces: the periodic job `search.compact`,
    every ten minutes, for COMPACT_SLICE_SECONDS at most (it goes on next time)."""
    return indexer.compact(seconds=COMPACT_SLICE_SECONDS)
