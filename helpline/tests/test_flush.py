"""After a transactional test the database is emptied for the next one; on
PostgreSQL by DELETE rather than TRUNCATE (helpline/conftest.py says why). Rows
that point at each other in every direction go, in one transaction, and what
migrations and post_migrate provide comes back."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from helpline.accounts.models import Customer, User
from helpline.conftest import World
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
