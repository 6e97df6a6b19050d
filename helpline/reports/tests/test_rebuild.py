"""`rollups.rebuild` commits per chunk of tickets (the module doc of
helpline/reports/rollups/rebuild.py): another connection sees each chunk once it
is done, and a change made while the rebuild runs is counted once.

These tests commit (transaction=True): what another connection sees, and changes
between the rebuild's own transactions, cannot be shown inside a test's
transaction.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

import pytest
from django.db import connection

from helpline.reports import rollups
from helpline.reports.models import RollupTicket
from helpline.reports.tests import test_metrics
from helpline.reports.tests.test_metrics import History, at, utc
from helpline.reports.tests.test_rollups import busy_week, snapshot
from helpline.tickets import lifecycle
from helpline.tickets.models import State, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

history = test_metrics.history
# The module (the package's `rebuild` is the function).
rebuilding = importlib.import_module("helpline.reports.rollups.rebuild")


@pytest.fixture(autouse=True)
def _berlin_days(settings: Any) -> None:
    """As test_rollups.py: the desk keeps its rollups in Berlin days."""
    settings.REPORTS_TIME_ZONE = "Europe/Berlin"


def seen_by_another_connection() -> int:
    """The replay states another connection (a thread's own) reads right now."""
    found: list[int] = []

    def count() -> None:
        try:
            found.append(RollupTicket.objects.count())
        finally:
            connection.close()

    thread = threading.Thread(target=count)
    thread.start()
    thread.join(timeout=30)
    return found[0]


def test_each_chunk_is_committed_before_the_next_is_replayed(history: History) -> None:
    """In one transaction (before), another connection saw none of the states until
    the end: the rebuild held the write lock (SQLite) or its rows (PostgreSQL)."""
    busy_week(history)
    kept = snapshot()
    RollupTicket.objects.all().delete()
    tickets = Ticket.objects.count()
    seen: list[tuple[int, int]] = []

    done = rollups.rebuild(
        chunk=3, progress=lambda done: seen.append((done, seen_by_another_connection()))
    )

    assert done == tickets > 6
    assert seen == [(n, n) for n in [*range(3, tickets, 3), tickets]]
    assert snapshot() == kept


def open_tickets() -> tuple[int, int]:
    """The first and the last open ticket (ids)."""
    found = Ticket.objects.filter(state=State.OPEN).order_by("pk").values_list("pk", flat=True)
    return found[0], list(found)[-1]


def test_a_change_made_during_a_rebuild_is_counted_once(history: History) -> None:
    """Between two chunks, a reply to a ticket already rebuilt and one to a ticket
    not rebuilt yet: the receiver counts each (in the change's transaction), and the
    rebuild does not count again the events written after it began. The result is
    what a rebuild on a quiet desk gives."""
    busy_week(history)
    first, last = open_tickets()
    assert Ticket.objects.filter(pk__lt=first).count() < 2  # in the first chunk of 2
    assert Ticket.objects.filter(pk__gt=last).count() == 0  # in the last one
    changed: list[int] = []

    def change_between_chunks(done: int) -> None:
        if changed:
            return
        with at(utc(4, 12)):
            for pk in (first, last):
                ticket = Ticket.objects.get(pk=pk)
                lifecycle.reply(ticket, actor=history.alice, body_html="<p>Meanwhile</p>")
                changed.append(pk)

    rollups.rebuild(chunk=2, progress=change_between_chunks)
    during = snapshot()

    assert changed == [first, last]
    rollups.rebuild()  # on a quiet desk
    assert during == snapshot()


def test_a_ticket_changed_while_its_chunk_was_being_replayed_is_replayed_again(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk is read and replayed outside its transaction (SQLite's writers go on
    meanwhile): a reply between that and the chunk's transaction is seen there, and
    the chunk is replayed again, so the state saved has the reply in it."""
    busy_week(history)
    _, last = open_tickets()
    replays: list[list[int]] = []
    real = rebuilding._replay

    def replay(*args: Any) -> Any:
        replayed = real(*args)
        part = list(args[1])
        replays.append(part)
        if last in part and replays.count(part) == 1:
            with at(utc(4, 12)):
                ticket = Ticket.objects.get(pk=last)
                lifecycle.reply(ticket, actor=history.alice, body_html="<p>Meanwhile</p>")
        return replayed

    monkeypatch.setattr(rebuilding, "_replay", replay)
    rollups.rebuild(chunk=4)
    during = snapshot()

    chunks = [part for part in replays if last in part]
    assert len(chunks) == 2 and chunks[0] == chunks[1]  # read, and read again
    assert len(replays) == len({tuple(part) for part in replays}) + 1  # only that one
    monkeypatch.undo()
    rollups.rebuild()  # on a quiet desk
    assert during == snapshot()
