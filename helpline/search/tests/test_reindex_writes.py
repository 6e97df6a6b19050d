"""`helpline search reindex` rebuilds every document while the help desk works:
it holds no transaction while it reads and builds a batch (CPU work), nor between
batches, so replies and new tickets are written meanwhile, not queued behind it
(on SQLite, behind the write lock of the whole site), and what they change is
indexed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.search import documents, indexer
from helpline.search.tests.helpers import index, numbers
from helpline.tickets import lifecycle

pytestmark = pytest.mark.django_db(transaction=True)

# Far below SQLite's busy timeout and PostgreSQL's lock waits: a write that had to
# wait for the reindex would not be done in time.
WRITE_SECONDS = 2.0


def test_replies_are_written_while_a_reindex_builds_and_are_indexed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = [world.open(f"Walrus {n}", body_html="<p>walrus</p>") for n in range(3)]
    index()
    building = threading.Event()
    release = threading.Event()
    real_build = documents.build

    def slow_build(ids: object) -> dict[int, documents.Text]:
        building.set()
        assert release.wait(30), "the test never released the build"
        return real_build(ids)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "build", slow_build)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            indexer.reindex(batch=1)
        except BaseException as error:  # reported by the test, below
            failure.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        assert building.wait(10), "the reindex never started building"
        # The reindex is in the middle of its first batch: the desk writes.
        started = time.monotonic()
        lifecycle.reply(tickets[0], actor=world.agent, body_html="<p>Narwhal spotted.</p>")
        world.open("Beluga", body_html="<p>beluga</p>")
        assert time.monotonic() - started < WRITE_SECONDS
    finally:
        release.set()
        worker.join(30)
    assert not worker.is_alive() and not failure, failure
    monkeypatch.setattr(documents, "build", real_build)
    index()  # the writes' own marks (the reindex may have indexed them already)
    assert numbers("narwhal", agent=world.admin) == [tickets[0].number]
    assert len(numbers("beluga", agent=world.admin)) == 1
    assert len(numbers("walrus", agent=world.admin)) == 3
