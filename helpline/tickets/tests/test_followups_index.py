"""A ticket's follow-ups (shown on its page) are read through an index of the few
tickets that follow another. The foreign key's own index holds every ticket; once
ANALYZE has seen a million of them, nearly all following none, SQLite judges it
useless for `follows_id = ?` and scans the table (issue 11: ticket pages 4-7x
slower at a million tickets)."""

from __future__ import annotations

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.tests.plans import explain
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

MANY = 3_000  # tickets that follow none, as on a real desk


def as_at_a_million_tickets() -> None:
    """SQLite's statistics as ANALYZE leaves them at a million tickets that follow
    none: the foreign key's index has one value (NULL) for all of them. With these,
    SQLite chose `SCAN tickets_ticket` for the follow-ups before their own index."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "UPDATE sqlite_stat1 SET stat = '1000000 1000000' "
            "WHERE tbl = 'tickets_ticket' AND idx LIKE 'tickets_ticket_follows_id_%'"
        )
        cursor.execute("ANALYZE sqlite_schema")  # read the statistics again


def test_a_tickets_followups_are_read_through_their_own_index(world: World) -> None:
    first = world.open("The printer is on fire")
    later = world.open("It is on fire again")
    Ticket.objects.filter(pk=later.pk).update(follows=first)
    columns = {
        f.attname: getattr(first, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key
    }
    Ticket.objects.bulk_create(Ticket(**{**columns, "number": f"9{n:07d}"}) for n in range(MANY))
    if connection.vendor == "sqlite":
        as_at_a_million_tickets()

    followups = first.followups.values_list("number", flat=True)
    text = explain(*followups.query.sql_with_params(), analyze="tickets_ticket")

    assert list(followups) == [later.number]
    assert "ticket_followups" in text, text
