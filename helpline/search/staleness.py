"""Marking tickets whose searchable text changed, in the transaction that changed it.

`mark_changed` receives the lifecycle's `events_recorded` signal: a change that
touches what a ticket's document holds (a message, a reply, a note, an edit of the
subject or the customer, a collaborator; an assignment or a transfer, which
change who may find it) marks the ticket `Pending` in the same
transaction, with one INSERT, and asks the worker to index it once the change
commits. Nothing is read or tokenized here: the write transaction (on SQLite, the
write lock of the whole site) is not held for it. A change that rolls back takes
its mark with it; a change that commits is always indexed, by the worker's
periodic `search.index` job (settings.HELPLINE_PERIODIC_JOBS, every 5 seconds).

People change outside the lifecycle (an agent edits a customer's name; an
organization is renamed or deleted; a customer who only followed tickets is
deleted): their
tickets are marked the same way, after the row is saved, only when a searchable
field changed (before it is deleted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save, pre_delete, pre_save
from django.utils import timezone

from helpline.accounts.models import Customer, Organization
from helpline.search.models import Pending
from helpline.tickets.models import Collaborator, Event, EventKind, Ticket

# Changes that leave the document as it was: the ticket's other columns (status,
# priority, due time...) are searched on the ticket row itself. Any other kind,
# including one added later, re-indexes: a stale index is the worse mistake. An
# assignment, a release and a transfer re-index too: they change who may find the
# ticket (the document's scope, documents.scope_of).
UNTEXTUAL = frozenset(
    {
        EventKind.STATUS,
        EventKind.OVERDUE,
        EventKind.SLA,
        EventKind.ESCALATED,
        EventKind.ROUTED,
        EventKind.UNASSIGNABLE,
        EventKind.RATED,
    }
)
CUSTOMER_FIELDS = ("name", "email", "organization_id")


def mark_changed(sender: object, events: Sequence[Event], **kwargs: Any) -> None:
    """The `events_recorded` receiver: mark the tickets whose text changed."""
    ids = sorted({e.ticket_id for e in events if e.kind not in UNTEXTUAL})
    if ids:
        mark(Ticket.objects.filter(pk__in=ids))


def mark(tickets: QuerySet[Ticket]) -> None:
    """Mark these tickets for indexing (again, if a worker holds them now), in one
    INSERT ... SELECT. The worker's periodic `search.index` job indexes them
    (every INDEX_SECONDS): one statement per change, where a task queued per
    change cost a second one (the opening of a ticket counts its statements:
    docs/performance.md)."""
    sql, params = tickets.values("id").query.sql_with_params()
    table = connection.ops.quote_name(Pending._meta.db_table)
    with connection.cursor() as cursor:
        # Both databases take ON CONFLICT; SQLite needs the SELECT to have a WHERE
        # (every caller's has one) to tell its ON from a join's. In id order: two
        # transactions marking the same tickets (a customer's, as their name
        # changes, and one of them replied to) take the rows in one order, never
        # each waiting for the other (a deadlock, and a 500, on PostgreSQL in CI).
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, marked_at, claimed_at) "  # noqa: S608
            f"SELECT U.id, %s, NULL FROM ({sql}) U WHERE U.id IS NOT NULL ORDER BY U.id "
            "ON CONFLICT (ticket_id) DO UPDATE SET marked_at = excluded.marked_at, "
            "claimed_at = NULL",
            [timezone.now(), *params],
        )


# --- people ---------------------------------------------------------------------------


def _remember_customer(sender: type, instance: Customer, **kwargs: Any) -> None:
    """pre_save: what the searchable fields were, to compare after the save."""
    fields = kwargs.get("update_fields")
    # update_fields may name the organization by its column ("organization_id").
    if instance.pk is None or (
        fields is not None
        and not set(fields) & {"name", "email", "organization", "organization_id"}
    ):
        instance._search_before = None  # type: ignore[attr-defined]
        return
    instance._search_before = (  # type: ignore[attr-defined]
        Customer.objects.filter(pk=instance.pk).values_list(*CUSTOMER_FIELDS).first()
    )


def _customer_saved(sender: type, instance: Customer, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_search_before", None)
    if created or before is None:
        return
    if before != tuple(getattr(instance, f) for f in CUSTOMER_FIELDS):
        mark_people(Q(customer=instance))


def _remember_organization(sender: type, instance: Organization, **kwargs: Any) -> None:
    """pre_save: the name as it was (the only part of an organization a document
    holds), so that a save that keeps it marks none of its tickets."""
    before = None
    if instance.pk is not None:
        before = Organization.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    instance._search_before = before  # type: ignore[attr-defined]


def _organization_saved(sender: type, instance: Organization, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_search_before", None)
    if not created and before is not None and before != instance.name:
        mark_people(Q(customer__organization=instance))


def _organization_deleted(sender: type, instance: Organization, **kwargs: Any) -> None:
    """pre_delete: its customers lose it (SET_NULL, an UPDATE that sends no
    signal), and their own tickets' documents its name (a follower's part of a
    document holds no organization)."""
    mark(Ticket.objects.filter(customer__organization=instance))


def _customer_deleted(sender: type, instance: Customer, **kwargs: Any) -> None:
    """pre_delete: a customer goes (one with tickets cannot: they are protected),
    and with them their collaborations; the tickets they followed must forget
    their name."""
    mark_people(Q(customer=instance))


def mark_people(customers: Q) -> None:
    """Mark the tickets whose documents name these customers (`customers` is a Q
    on a `customer` relation): theirs, and those they collaborate on."""
    mark(Ticket.objects.filter(customers))
    mark(Ticket.objects.filter(pk__in=Collaborator.objects.filter(customers).values("ticket_id")))


def connect_people_signals() -> None:
    pre_save.connect(_remember_customer, sender=Customer, dispatch_uid="search.customer.pre")
    post_save.connect(_customer_saved, sender=Customer, dispatch_uid="search.customer.post")
    pre_delete.connect(_customer_deleted, sender=Customer, dispatch_uid="search.customer.delete")
    pre_save.connect(
        _remember_organization, sender=Organization, dispatch_uid="search.organization.pre"
    )
    post_save.connect(
        _organization_saved, sender=Organization, dispatch_uid="search.organization.post"
    )
    pre_delete.connect(
        _organization_deleted, sender=Organization, dispatch_uid="search.organization.delete"
    )


class GeneratedFeed:
    """`helpline demo generate` writes tickets behind the lifecycle's back (its
    `Feed`): each batch's tickets are marked in the batch's transaction, so the
    worker, or `helpline search pending`, indexes them afterwards. Marking is an
    INSERT per batch; building the documents here would double the generator's
    time, and the index of a million tickets is then built in one go."""

    def replay(self, events: list[dict[str, Any]]) -> object:
        return sorted({event["ticket_id"] for event in events})

    def write(self, payload: object) -> None:
        assert isinstance(payload, list)
        mark(Ticket.objects.filter(pk__in=payload))
