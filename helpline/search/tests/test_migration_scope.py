"""Migration search 0003: the documents of a site that upgrades get their scope
from their tickets and stay searchable, by those who may see them only; and the
migration can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpline.conftest import World
from helpline.search.models import Document
from helpline.search.tests.helpers import index, numbers
from helpline.tickets import lifecycle

BEFORE = [("search", "0002_customer_lookup")]
AFTER = [("search", "0003_scope")]


@pytest.mark.django_db(transaction=True)
def test_existing_documents_get_their_scope(world: World) -> None:
    support = world.open("Wallaby in support")
    sales = world.open("Wallaby in sales", topic=world.sales_topic)
    lifecycle.assign(sales, actor=world.admin, team=world.team)
    index()
    written = dict(Document.objects.values_list("ticket_id", "scope"))

    MigrationExecutor(connection).migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ticket_id FROM search_document WHERE subject LIKE '%%Wallaby%%'")
        assert len(cursor.fetchall()) == 2  # the documents stay when it is undone
        columns = {
            c.name
            for c in connection.introspection.get_table_description(cursor, "search_document")
        }
    assert not columns & {"scope", "scope_vec"}
    MigrationExecutor(connection).migrate(AFTER)  # a fresh graph, as `migrate` has

    assert dict(Document.objects.values_list("ticket_id", "scope")) == written
    assert numbers("wallaby", agent=world.other_agent) == [sales.number]
    # Alice: Support, and Level II's member.
    assert numbers("wallaby", agent=world.agent, order="newest") == [sales.number, support.number]
    assert numbers("wallaby", customer=world.outsider) == []
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
