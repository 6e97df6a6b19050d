"""After a transactional test the database is emptied for the next one; on
PostgreSQL by DELETE rather than TRUNCATE (helpline/conftest.py says why). Rows
that point at each other in every direction go, in one transaction, and what
migrations and post_migrate provide comes back."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import TransactionTestCase
from django.utils import timezone

from helpline.accounts.models import Customer, User
from helpline.conftest import World
from helpline.desk.models import Draft, DraftKind
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_flush_empties_every_table_the_tests_fill(world: World) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")
    if connection.vendor == "postgresql":
        statements = connection.ops.sql_flush(no_style(), ["tickets_ticket"])
        assert statements[-1].startswith("DELETE FROM")

    call_command("flush", verbosity=0, interactive=False)

    for model in (Ticket, Event, Customer, User):
        assert not model.objects.exists(), model
    assert ContentType.objects.filter(app_label="tickets", model="ticket").exists()


def test_a_row_a_request_commits_midway_through_the_flush_goes_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's last request (a draft saved as it is left) can reach the live server
    as the test ends. If it commits after the flush deleted the drafts and before it
    deleted the tickets, its draft points at a deleted ticket and the flush fails at
    commit: it is run again, and the next test starts from an empty database."""
    ticket = world.open()
    if connection.vendor == "postgresql":
        _commit_a_draft_midway_through_the_flush(world, ticket, monkeypatch)
    else:  # SQLite lets no other writer in while the flush deletes
        TransactionTestCase()._fixture_teardown()  # type: ignore[attr-defined]

    for model in (Draft, Ticket, SLAPlan):
        assert not model.objects.exists(), model


def _commit_a_draft_midway_through_the_flush(
    world: World, ticket: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flush deletes the drafts first, then waits on a lock the request holds
    # until it has committed its draft, then deletes the rest.
    lock = 4242
    flush = DatabaseOperations.sql_flush

    def drafts_then_wait(self: DatabaseOperations, *args: Any, **kwargs: Any) -> list[str]:
        statements = flush(self, *args, **kwargs)
        drafts = next(s for s in statements if '"desk_draft"' in s)
        rest = [s for s in statements if s is not drafts]
        return [rest[0], drafts, f"SELECT pg_advisory_xact_lock({lock});", *rest[1:]]

    monkeypatch.setattr(DatabaseOperations, "sql_flush", drafts_then_wait)
    inserted = threading.Event()

    def request() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
            with transaction.atomic():
                Draft.objects.create(
                    agent=world.agent,
                    ticket=ticket,
                    kind=DraftKind.REPLY,
                    body="<p>Half a reply</p>",
                    updated_at=timezone.now(),
                )
                inserted.set()
                _wait_for_a_waiter_on(lock)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
        finally:
            connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    try:
        assert inserted.wait(10)
        TransactionTestCase()._fixture_teardown()  # type: ignore[attr-defined]
    finally:
        thread.join(10)
    assert not thread.is_alive()


def _wait_for_a_waiter_on(lock: int) -> None:
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                [lock],
            )
            if cursor.fetchone():
                return
            time.sleep(0.05)
    raise AssertionError("the flush never waited on the lock")
