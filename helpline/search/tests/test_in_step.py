"""The index stays in step with the tickets: every change to what a document
holds marks the ticket in the change's transaction, and the worker's indexing
makes it searchable; a change made while a document is being built is indexed
again, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from helpline.accounts.models import Customer
from helpline.conftest import World, make_customer
from helpline.search import documents, indexer, schema
from helpline.search.models import Document, Pending
from helpline.search.staleness import mark
from helpline.search.tests.helpers import index, numbers
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_reply_a_customer_message_and_a_note_become_searchable(world: World) -> None:
    ticket = world.open("Mail")
    index()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Try the quokka setting.</p>")
    lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Wombat error now.</p>")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Numbat on the server.</p>")
    assert numbers("quokka", agent=world.admin) == []  # not indexed yet
    assert Pending.objects.filter(ticket_id=ticket.pk).exists()
    index()
    for word in ("quokka", "wombat", "numbat"):
        assert numbers(word, agent=world.admin) == [ticket.number], word
    assert not Pending.objects.exists()


def test_a_resolution_explanation_is_searchable(world: World) -> None:
    ticket = world.open("Mail")
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Flushed the dingo cache.</p>")
    index()
    assert numbers("dingo", agent=world.admin) == [ticket.number]


def test_an_edited_subject_replaces_the_old_one(world: World) -> None:
    ticket = world.open("Platypus")
    index()
    lifecycle.edit(ticket, actor=world.agent, subject="Echidna")
    index()
    assert numbers("echidna", agent=world.admin) == [ticket.number]
    assert numbers("platypus", agent=world.admin) == []


def test_a_transfer_and_an_assignment_change_who_finds_it(world: World) -> None:
    """Who may find a ticket is in its document (its scope): a transfer and an
    assignment mark it, and until it is indexed again the ticket's own columns
    still decide: nobody finds a ticket they may no longer see, and the new
    department finds it once the worker has indexed it."""
    ticket = world.open("Kangaroo")
    index()
    assert numbers("kangaroo", agent=world.other_agent) == []
    lifecycle.transfer(ticket, actor=world.admin, department=world.sales)
    assert Pending.objects.filter(ticket_id=ticket.pk).exists()
    assert numbers("kangaroo", agent=world.agent) == []  # the column says Sales now
    index()
    assert numbers("kangaroo", agent=world.other_agent) == [ticket.number]
    assert numbers("kangaroo", agent=world.agent) == []
    # Handed to Level II (Sam and Alice, Support only): they find it by its team.
    lifecycle.assign(ticket, actor=world.admin, team=world.team)
    assert Pending.objects.filter(ticket_id=ticket.pk).exists()
    index()
    assert Document.objects.get(ticket=ticket).scope == (
        f"d{world.sales.pk} t{world.team.pk} c{world.customer.pk}"
    )
    assert numbers("kangaroo", agent=world.agent) == [ticket.number]
    assert numbers("kangaroo", agent=world.supervisor) == [ticket.number]
    lifecycle.assign(ticket, actor=world.admin, agent=world.other_agent)
    index()
    assert Document.objects.get(ticket=ticket).scope == (
        f"d{world.sales.pk} a{world.other_agent.pk} t{world.team.pk} c{world.customer.pk}"
    )
    # Bob lets go of it: his token goes with the next indexing.
    lifecycle.release(ticket, actor=world.other_agent)
    assert Pending.objects.filter(ticket_id=ticket.pk).exists()
    index()
    assert Document.objects.get(ticket=ticket).scope == (
        f"d{world.sales.pk} t{world.team.pk} c{world.customer.pk}"
    )


def test_the_migrations_scope_is_the_indexers(world: World) -> None:
    """Migration 0003 fills the scope of existing documents in SQL
    (schema.SCOPE_OF_TICKET): the same string the indexer writes, with and
    without an assignee and a team."""
    plain = world.open("Plain")
    both = lifecycle.assign(
        world.open("Both"), actor=world.admin, agent=world.agent, team=world.team
    )
    index()
    written = dict(Document.objects.values_list("ticket_id", "scope"))
    Document.objects.update(scope="")
    with connection.cursor() as cursor:
        cursor.execute(schema.FILL_SCOPE[connection.vendor])
    assert dict(Document.objects.values_list("ticket_id", "scope")) == written
    assert written[both.pk] == (
        f"d{world.support.pk} a{world.agent.pk} t{world.team.pk} c{world.customer.pk}"
    )
    assert written[plain.pk].startswith(f"d{world.support.pk} ")


def test_a_collaborator_and_a_renamed_customer_are_found_by_their_new_names(
    world: World,
) -> None:
    ticket = world.open("Koala")
    index()
    lifecycle.add_collaborator(
        ticket, actor=world.agent, customer=make_customer("Bilby Smith", "bilby@example.net")
    )
    world.customer.name = "Kenneth Wallaby"
    world.customer.save()
    index()
    assert numbers("bilby", agent=world.admin) == [ticket.number]
    assert numbers("wallaby", agent=world.admin) == [ticket.number]


def test_a_save_that_changes_nothing_searchable_marks_nothing(world: World) -> None:
    world.open("Emu")
    index()
    world.customer.last_language = "de"
    world.customer.save()
    world.customer.save(update_fields=["last_language"])
    assert not Pending.objects.exists()


def test_a_change_that_rolls_back_leaves_no_mark(world: World) -> None:
    ticket = world.open("Cassowary")
    index()
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.add_note(ticket, actor=world.agent, body_html="<p>gone</p>")
        raise RuntimeError
    assert not Pending.objects.exists()


def test_a_change_made_while_a_document_is_built_is_indexed_again(world: World) -> None:
    ticket = world.open("Possum")
    claimed = indexer.claim(10)
    assert claimed is not None
    stamp, ids = claimed
    texts = documents.build(ids)  # read before the note below
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Tasmanian devil.</p>")
    # The slower worker's claim is gone: it writes nothing over newer text.
    assert indexer.write(stamp, texts, ids) == 0
    assert Pending.objects.filter(ticket_id=ticket.pk, claimed_at__isnull=True).exists()
    index()
    assert numbers("tasmanian", agent=world.admin) == [ticket.number]


def test_an_abandoned_claim_is_taken_again(world: World) -> None:
    ticket = world.open("Quoll")
    assert indexer.claim(10) is not None  # a worker that then died
    assert indexer.claim(10) is None  # not while the claim is fresh
    claimed_at = Pending.objects.get().claimed_at
    assert claimed_at is not None
    Pending.objects.update(claimed_at=claimed_at - timedelta(minutes=6))
    index()
    assert numbers("quoll", agent=world.admin) == [ticket.number]


def test_a_deleted_tickets_document_and_mark_go(world: World) -> None:
    ticket = world.open("Bandicoot")
    index()
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>more</p>")
    Ticket.objects.filter(pk=ticket.pk).delete()
    index()
    assert not Document.objects.exists() and not Pending.objects.exists()
    assert numbers("bandicoot", agent=world.admin) == []


def test_reindex_rebuilds_every_document_and_can_start_after_an_id(world: World) -> None:
    first = world.open("Dugong one")
    second = world.open("Dugong two")
    Document.objects.all().delete()
    assert indexer.reindex(start_after=first.pk) == 1
    assert numbers("dugong", agent=world.admin) == [second.number]
    assert indexer.reindex() == 2
    assert set(numbers("dugong", agent=world.admin)) == {first.number, second.number}


def test_the_worker_indexes_within_ten_seconds(world: World) -> None:
    """The stated lag: the periodic job runs every 5 seconds, queued by the
    scheduler's turn (HELPLINE_SCHEDULER_SECONDS); a mark writes one statement."""
    from django.conf import settings

    from helpline.search.tasks import index_pending

    path, seconds, *_has_work = settings.HELPLINE_PERIODIC_JOBS["search.index"]
    assert path == "helpline.search.tasks.index_pending"
    assert seconds + settings.HELPLINE_SCHEDULER_SECONDS <= 10
    ticket = world.open("Wombat")
    assert indexer.has_pending()  # the scheduler's question: it queues the job
    assert index_pending.call() == 1
    assert numbers("wombat", agent=world.admin) == [ticket.number]


def test_marking_is_one_statement_in_id_order(world: World, django_assert_num_queries) -> None:
    """One statement, taking the marks in id order: two transactions marking the
    same tickets then lock them in one order (in CI, a customer's tickets marked
    as their name changed and a reply to one of them deadlocked on PostgreSQL)."""
    tickets = [world.open(f"Wombat {n}") for n in range(3)]
    with django_assert_num_queries(1) as captured:
        mark(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("-pk"))
    assert "ORDER BY U.id" in captured.captured_queries[0]["sql"]
    assert set(Pending.objects.values_list("ticket_id", flat=True)) >= {t.pk for t in tickets}


def test_a_claim_reads_the_claim_index_in_order(world: World) -> None:
    """Each claim is an index range read in order, never a sort of every mark (with
    a million marks waiting, that made indexing slow down as it went)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.tests.plans import explain

    with CaptureQueriesContext(connection) as queries:
        assert indexer.claim(50) is None  # nothing waits: both ranges are read
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "ORDER BY" in q["sql"]
    ]
    assert len(reads) == 2
    for sql in reads:
        plan = explain(sql.replace(" FOR UPDATE SKIP LOCKED", ""), (), analyze="search_pending")
        assert "search_pending_claim" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_an_organization_rename_marks_its_tickets_and_other_saves_none(world: World) -> None:
    from helpline.accounts.models import Organization

    acme = Organization.objects.create(name="Acme")
    world.customer.organization = acme
    world.customer.save()
    ticket = world.open("Anvil")
    index()
    acme.domain = "acme.example"
    acme.save()  # the name stays: nothing to index
    assert not Pending.objects.exists()
    acme.name = "Acme Corporation"
    acme.save()
    index()
    assert numbers("corporation", agent=world.admin) == [ticket.number]


def test_a_deleted_collaborator_is_forgotten(world: World) -> None:
    """A customer who only followed a ticket may be deleted (one with tickets of
    their own may not): the tickets they followed are indexed without them."""
    ticket = world.open("Koala")
    lifecycle.add_collaborator(
        ticket, actor=world.agent, customer=make_customer("Quoll Jones", "quoll@example.net")
    )
    index()
    assert numbers("quoll", agent=world.admin) == [ticket.number]
    Customer.objects.get(email="quoll@example.net").delete()
    assert Pending.objects.filter(ticket_id=ticket.pk).exists()
    index()
    assert numbers("quoll", agent=world.admin) == []


def test_repair_makes_the_triggers_a_table_remake_dropped(world: World) -> None:
    """Django remakes a SQLite table for most column changes and drops its
    triggers; `schema.repair` (after every migrate) makes them again, with the
    scope column: a new document is then searchable by those who may see it."""
    if connection.vendor == "postgresql":
        schema.repair(connection)  # nothing to repair: a no-op
    else:
        with connection.cursor() as cursor:
            for sql in schema.DOCUMENTS_SQLITE_REVERSE[:3]:  # the triggers only
                cursor.execute(sql)
        ticket = world.open("Dropped bear")
        index()
        assert numbers("bear", agent=world.agent) == []  # nothing reached the index
        Document.objects.filter(ticket=ticket).delete()
        schema.repair(connection)
    ticket = world.open("Drop bear")
    index()
    assert numbers("drop", agent=world.agent) == [ticket.number]
    assert numbers("drop", agent=world.other_agent) == []


def test_a_deleted_organization_and_one_changed_by_its_column_are_forgotten(
    world: World,
) -> None:
    """Deleting an organization empties its customers' column with an UPDATE that
    sends no signal; a save that names the column (`organization_id`) sends one
    that must count as the organization's."""
    from helpline.accounts.models import Organization

    acme = Organization.objects.create(name="Acme Dynamite")
    world.customer.organization = acme
    world.customer.save()
    ticket = world.open("Anvil")
    index()
    assert numbers("dynamite", agent=world.admin) == [ticket.number]
    acme.delete()
    index()
    assert numbers("dynamite", agent=world.admin) == []
    roadrunner = Organization.objects.create(name="Roadrunner Supplies")
    world.customer.organization_id = roadrunner.pk
    world.customer.save(update_fields=["organization_id"])
    index()
    assert numbers("roadrunner", agent=world.admin) == [ticket.number]


def test_a_customer_finds_the_tickets_they_are_copied_on_until_removed(world: World) -> None:
    """The portal lists the tickets a customer is copied on; their search finds
    them too (the document's scope holds the followers), and no longer once they
    are removed."""
    ticket = world.open("Koala enclosure", body_html="<p>The fence is down.</p>")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Fence budget.</p>")
    quoll = make_customer("Quoll Jones", "quoll@example.net")
    index()
    assert numbers("fence", customer=quoll) == []
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=quoll)
    index()
    assert Document.objects.get(ticket=ticket).scope.endswith(f" c{quoll.pk}")
    assert numbers("fence", customer=quoll) == [ticket.number]
    assert numbers("budget", customer=quoll) == []  # a note: never
    lifecycle.remove_collaborator(ticket, actor=world.agent, customer=quoll)
    assert numbers("fence", customer=quoll) == []  # at once, before indexing
    index()
    assert not Document.objects.get(ticket=ticket).scope.endswith(f" c{quoll.pk}")


def test_migration_0004_marks_the_tickets_with_followers_to_index_again(world: World) -> None:
    from importlib import import_module

    from django.apps import apps

    followed = world.open("Followed")
    world.open("Alone")
    lifecycle.add_collaborator(
        followed, actor=world.agent, customer=make_customer("Quoll Jones", "quoll@example.net")
    )
    index()
    assert not Pending.objects.exists()
    migration = import_module("helpline.search.migrations.0004_followers_in_scope")

    class Editor:  # what mark_followed uses of the schema editor
        connection = connection

    migration.mark_followed(apps, Editor())
    assert list(Pending.objects.values_list("ticket_id", flat=True)) == [followed.pk]
    # A mark a worker holds is handed back, to be indexed with the new scope.
    Pending.objects.update(claimed_at=timezone.now())
    migration.mark_followed(apps, Editor())
    assert Pending.objects.get().claimed_at is None


def test_migration_0005_marks_the_tickets_with_answers_to_index_again(world: World) -> None:
    from importlib import import_module

    from django.apps import apps

    answered = world.open("Laptop", extra={"asset_tag": "LT-0427"})
    world.open("Plain")
    index()
    migration = import_module("helpline.search.migrations.0005_answers_in_documents")

    class Editor:  # what mark_answered uses of the schema editor
        connection = connection

    migration.mark_answered(apps, Editor())
    assert list(Pending.objects.values_list("ticket_id", flat=True)) == [answered.pk]
