"""Keeping the documents in step: the worker indexes what changes marked.

`index_pending` (the worker's periodic job `search.index`, every 5 seconds)
claims a batch of `Pending` marks, builds
their documents with no transaction open (`documents.build`), then writes them
in one short transaction together with the removal of the marks it still owns.

Why "still owns": a change that lands while a document is being built sets its
mark back to unclaimed, so the mark stays and the ticket is indexed again, and a
document built from older text is not written over a newer one by a slower
worker (its claim is gone, so it writes nothing). A worker that dies holding a
claim leaves it to be taken again after `CLAIM_SECONDS`.

Lag: a change is searchable once the job has run after it: within about ten
seconds of the commit (the job's 5 seconds, plus the scheduler's turn,
`HELPLINE_SCHEDULER_SECONDS`, and the queue's poll), when the worker keeps up.

`reindex` rebuilds every document (`helpline search reindex`), in the same small
claimed batches, so the desk keeps working and later changes win.

`compact` puts the index back into its fastest form to read (on SQLite, FTS5's
segments merged; Backend.compact_step), in small steps: whole after a bulk index
or a rebuild (`helpline search pending|reindex|compact`), and a little every ten
minutes (the periodic job `search.compact`), which keeps the desk's own writes
from leaving it in many pieces.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from helpline.search import documents
from helpline.search.backends import backend
from helpline.search.models import Document, Pending
from helpline.search.staleness import mark
from helpline.tickets.models import Ticket

# Documents written per transaction. On SQLite the FTS5 triggers tokenize the old
# and the new text inside it, holding the site's write lock: a few milliseconds a
# document, so a batch keeps other writers waiting well under a tenth of a second.
WRITE_BATCH = 50
# A claim older than this belongs to a worker that died.
CLAIM_SECONDS = 300


def index_pending(limit: int = 2_000) -> int:
    """Index up to `limit` marked tickets, oldest marks first; the number indexed."""
    done = 0
    while done < limit:
        claimed = claim(min(WRITE_BATCH, limit - done))
        if claimed is None:
            break
        stamp, ids = claimed
        done += write(stamp, documents.build(ids), ids)
    return done


def claim(size: int, among: Iterable[int] | None = None) -> tuple[datetime, list[int]] | None:
    """Claim up to `size` unclaimed marks, oldest first, else abandoned ones,
    `among` these tickets if given: (the claim's stamp, the tickets), or None when
    there are none.

    Unclaimed and abandoned are read apart, each an index range of
    search_pending_claim in order: one query for both (an OR) read and sorted the
    whole table on each claim, and indexing a million generated tickets slowed
    down as it went (550 documents a second instead of 1,700)."""
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    for free in (Q(claimed_at__isnull=True), Q(claimed_at__lt=stale)):
        marks = Pending.objects.filter(free)
        if among is not None:
            marks = marks.filter(ticket_id__in=list(among))
        with transaction.atomic():
            ids = list(
                # claimed_at first: at NULL it orders nothing, but PostgreSQL then
                # sees the index's order (it takes IS NULL for no equality).
                marks.order_by("claimed_at", "marked_at")
                .select_for_update(skip_locked=True)
                .values_list("ticket_id", flat=True)[:size]
            )
            if not ids:
                continue
            # The condition again: on SQLite another worker may have claimed some
            # between the read and this write (PostgreSQL skipped the locked rows).
            Pending.objects.filter(free, ticket_id__in=ids).update(claimed_at=now)
        owned = list(
            Pending.objects.filter(ticket_id__in=ids, claimed_at=now).values_list(
                "ticket_id", flat=True
            )
        )
        if owned:
            return now, owned
    return None


def has_pending() -> bool:
    """Whether any ticket waits for its document (the scheduler asks before it
    queues the `search.index` job): one read of the claim index."""
    return Pending.objects.exists()


def compact(*, seconds: float | None = None, full: bool = False) -> bool:
    """Merge the index toward its fastest form to read, a step (a short
    transaction of its own: never inside one, or it would hold the write lock
    throughout) at a time: `full` into one piece, for at most twice the index's
    pages of work (new writes restart a full merge); else the routine merge.
    At most `seconds` if given. True once a step found nothing left to merge,
    False when the time or the work allowed ran out first."""
    if connection.in_atomic_block:
        raise RuntimeError("compact() takes a transaction a step: call it outside atomic()")
    engine = backend()
    steps_allowed = engine.prepare_compaction(full)
    deadline = None if seconds is None else time.monotonic() + seconds
    steps = 0
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if steps_allowed is not None and steps >= steps_allowed:
            return False
        if not engine.compact_step(full):
            return True
        steps += 1


def write(stamp: datetime, texts: dict[int, documents.Text], ids: list[int]) -> int:
    """Write the documents whose marks are still claimed by `stamp`, and drop those
    marks (a deleted ticket's too); the number of documents written."""
    now = timezone.now()
    with transaction.atomic():
        mine = Pending.objects.select_for_update().filter(ticket_id__in=ids, claimed_at=stamp)
        owned = set(mine.values_list("ticket_id", flat=True))
        docs = [
            Document(ticket_id=pk, indexed_at=now, **vars(text))
            for pk, text in texts.items()
            if pk in owned
        ]
        Document.objects.bulk_create(
            docs,
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=[
                "subject",
                "people",
                "public_text",
                "internal_text",
                "scope",
                "indexed_at",
            ],
        )
        Pending.objects.filter(ticket_id__in=owned, claimed_at=stamp).delete()
    return len(docs)


def reindex(
    start_after: int = 0, batch: int = 500, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild the document of every ticket with an id above `start_after`, in id
    order; `progress(done, last id)` after each batch. The number indexed."""
    done = 0
    last = start_after
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        with transaction.atomic():
            mark(Ticket.objects.filter(pk__in=ids))
        for start in range(0, len(ids), WRITE_BATCH):
            chunk = ids[start : start + WRITE_BATCH]
            claimed = claim(len(chunk), among=chunk)
            if claimed is not None:
                stamp, owned = claimed
                done += write(stamp, documents.build(owned), owned)
        last = ids[-1]
        if progress is not None:
            progress(done, last)
