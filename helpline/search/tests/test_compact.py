"""Compacting the index: on SQLite, FTS5's segments merged back into one in short
steps; PostgreSQL's GIN index has nothing to compact (its pending list is
autovacuum's), so there it is always compact."""

from __future__ import annotations

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.search import indexer
from helpline.search.backends import backend
from helpline.search.tests.helpers import index, numbers

pytestmark = pytest.mark.django_db

SEGMENTS = connection.vendor == "sqlite"


def _written_in_pieces(world: World, count: int) -> list[str]:
    """`count` tickets about a modem, each indexed in its own write (a segment
    each on SQLite)."""
    opened = []
    for n in range(count):
        opened.append(world.open(f"Modem {n}", body_html="<p>The modem blinks red.</p>").number)
        index()
    return opened


def test_compacting_merges_the_index_into_one_piece_and_finds_the_same(world: World) -> None:
    opened = _written_in_pieces(world, indexer.COMPACT_ABOVE + 2)
    before = numbers("modem blinks", agent=world.admin, order="newest")
    assert sorted(before) == sorted(opened)
    if SEGMENTS:
        assert backend().fragments() > indexer.COMPACT_ABOVE
        assert indexer.needs_compacting()
        # Out of time after its first step: not done, and goes on next time.
        assert indexer.compact(seconds=0) is False

    assert indexer.compact() is True
    assert backend().fragments() == 1
    assert not indexer.needs_compacting()
    assert numbers("modem blinks", agent=world.admin, order="newest") == before
    # Nothing left to merge: a step says so.
    assert backend().compact_step() is False


def test_the_worker_compacts_nightly_when_the_index_is_in_pieces(world: World) -> None:
    from django.conf import settings

    from helpline.search.tasks import compact

    assert settings.HELPLINE_PERIODIC_JOBS["search.compact"] == (
        "helpline.search.tasks.compact",
        24 * 3600,
        "helpline.search.indexer.needs_compacting",
    )
    _written_in_pieces(world, indexer.COMPACT_ABOVE + 2)
    assert indexer.needs_compacting() is SEGMENTS
    assert compact.call() is True
    assert not indexer.needs_compacting()


def test_the_command_indexes_what_is_pending_then_compacts(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    ticket = world.open("Modem", body_html="<p>The modem blinks red.</p>")
    out = StringIO()
    call_command("search", "pending", "--no-progress", stdout=out)
    assert "Indexed 1 tickets" in out.getvalue()
    assert "Compacted the index" in out.getvalue()
    assert numbers("modem", agent=world.admin) == [ticket.number]
    status = StringIO()
    call_command("search", "status", stdout=status)
    assert "index pieces: 1 (1 when compact)" in status.getvalue()
