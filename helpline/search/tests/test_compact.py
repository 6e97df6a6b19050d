"""Compacting the index: on SQLite, FTS5's segments merged in steps of their own
transactions (whole after a bulk index, a little every ten minutes); PostgreSQL's
GIN index has nothing to compact (its pending list is autovacuum's), so there it
is always compact. Transactional tests: compaction refuses to run inside one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from helpline.conftest import World
from helpline.search import indexer
from helpline.search.backends import backend
from helpline.search.tests.helpers import index, numbers

pytestmark = pytest.mark.django_db(transaction=True)

SEGMENTS = connection.vendor == "sqlite"
PIECES = 6


def _written_in_pieces(world: World, count: int) -> list[str]:
    """`count` tickets about a modem, each indexed in its own write (a segment
    each on SQLite)."""
    opened = []
    for n in range(count):
        opened.append(world.open(f"Modem {n}", body_html="<p>The modem blinks red.</p>").number)
        index()
    return opened


def test_a_full_compaction_merges_the_index_into_one_piece_and_finds_the_same(
    world: World,
) -> None:
    opened = _written_in_pieces(world, PIECES)
    before = numbers("modem blinks", agent=world.admin, order="newest")
    assert sorted(before) == sorted(opened)
    if SEGMENTS:
        pieces = backend().fragments()
        assert pieces > 2  # FTS5 merges some by itself as they come
        # No time given to it: not done, and nothing was merged.
        assert indexer.compact(seconds=0, full=True) is False
        assert backend().fragments() == pieces

    assert indexer.compact(full=True) is True
    assert backend().fragments() == 1
    assert numbers("modem blinks", agent=world.admin, order="newest") == before
    if not SEGMENTS:
        # PostgreSQL: the planner's statistics are taken (ANALYZE counts the rows).
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'search_document'")
            assert cursor.fetchone()[0] == len(opened)
    # Nothing left to merge: a step says so.
    assert backend().compact_step(full=True) is False


def test_compaction_ends_while_the_desk_keeps_writing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full merge starts again whenever new segments arrive (found in review: it
    never ended under writes); it stops after twice the index's pages of work.
    The routine merge keeps the pieces few while writes go on."""
    _written_in_pieces(world, PIECES)
    engine_class = type(backend())
    step = engine_class.compact_step
    steps = {"n": 0}

    def writing_meanwhile(self: Any, full: bool) -> bool:
        steps["n"] += 1
        world.open(f"Router {steps['n']}", body_html="<p>The router reboots.</p>")
        index()
        return step(self, full)

    monkeypatch.setattr(engine_class, "compact_step", writing_meanwhile)
    indexer.compact(full=True)  # ends, done or not
    assert steps["n"] <= 200
    for _ in range(5):
        indexer.compact(seconds=0.5)
    monkeypatch.undo()
    if SEGMENTS:
        # A level of FTS5's merge tree per segment or so: a handful, not one per write.
        assert backend().fragments() <= 8, backend().fragments()
    assert len(numbers("router reboots", agent=world.admin, order="newest", limit=100)) > 0


def test_compaction_refuses_to_hold_one_transaction_throughout(world: World) -> None:
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside atomic"):
        indexer.compact(full=True)


def test_the_worker_merges_a_little_every_ten_minutes(world: World) -> None:
    from django.conf import settings

    from helpline.search.tasks import COMPACT_SLICE_SECONDS, compact

    assert settings.HELPLINE_PERIODIC_JOBS["search.compact"] == (
        "helpline.search.tasks.compact",
        600,
    )
    assert COMPACT_SLICE_SECONDS <= 5  # the worker's other jobs wait behind it
    _written_in_pieces(world, PIECES)
    before = backend().fragments()
    assert compact.call() is True  # the routine merge: a few levels, done quickly
    # Fewer pieces, unless there was one already: once in CI (f1803ee) the six
    # writes stood in one piece before the merge (not understood yet: the
    # handover note says so), and one piece cannot become fewer.
    assert backend().fragments() < before or before == 1 or not SEGMENTS


def test_the_command_indexes_what_is_pending_then_compacts(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    ticket = world.open("Modem", body_html="<p>The modem blinks red.</p>")
    out = StringIO()
    call_command("search", "pending", "--no-progress", stdout=out)
    assert "Indexed 1 tickets" in out.getvalue()
    assert "Compacted the index in" in out.getvalue()
    assert numbers("modem", agent=world.admin) == [ticket.number]
    status = StringIO()
    call_command("search", "status", stdout=status)
    assert "index pieces: 1 (1 when compact)" in status.getvalue()
