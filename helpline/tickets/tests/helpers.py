"""Small helpers for the lifecycle tests: what a change wrote, and what the counters say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import pytest
from django.db.models import Count, Max

from helpline.accounts.models import Agent, Customer
from helpline.tickets.lifecycle import Refused
from helpline.tickets.models import Entry, Event, QueueCount, Ticket


class Row(NamedTuple):
    """The parts of an Event a test cares about."""

    kind: str
    agent: int | None
    customer: int | None
    actor_name: str
    field: str
    old: str
    new: str
    reason: str


def event(
    kind: str,
    actor: Agent | Customer | None,
    *,
    field: str = "",
    old: object = "",
    new: object = "",
    reason: str = "",
) -> Row:
    """The event row we expect `actor` to leave behind."""
    return Row(
        kind=str(kind),
        agent=actor.pk if isinstance(actor, Agent) else None,
        customer=actor.pk if isinstance(actor, Customer) else None,
        actor_name=actor.name if actor is not None else "System",
        field=field,
        old=str(old),
        new=str(new),
        reason=reason,
    )


def rows(ticket: Ticket, after: int = 0) -> list[Row]:
    return [
        Row(
            e.kind,
            e.agent_id,
            e.customer_id,
            e.actor_name,
            e.field,
            e.old_value,
            e.new_value,
            e.reason,
        )
        for e in Event.objects.filter(ticket_id=ticket.pk, pk__gt=after).order_by("pk")
    ]


def last_event_id() -> int:
    return Event.objects.aggregate(m=Max("pk"))["m"] or 0


def last_event(ticket: Ticket) -> Event:
    return Event.objects.filter(ticket_id=ticket.pk).latest("pk")


def last_entry(ticket: Ticket) -> Entry:
    return Entry.objects.filter(ticket_id=ticket.pk).latest("pk")


def due(ticket: Ticket) -> datetime:
    assert ticket.due_at is not None
    return ticket.due_at


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_related("status", "assignee__user", "team", "priority").get(
        pk=ticket.pk
    )


class Watch:
    """Remembers a ticket's version, events and entries before a change."""

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        current = Ticket.objects.get(pk=ticket.pk)
        self.version = current.version
        self.updated_at = current.updated_at
        self.mark = last_event_id()
        self.entries = Entry.objects.filter(ticket_id=ticket.pk).count()

    def events(self) -> list[Row]:
        return rows(self.ticket, self.mark)

    def new_entries(self) -> list[Entry]:
        return list(Entry.objects.filter(ticket_id=self.ticket.pk).order_by("pk")[self.entries :])

    def assert_bumped(self, returned: Ticket) -> None:
        """The change bumped the version by exactly one, in memory and in the database,
        and moved the ticket's last-change time on (the queues sort by it)."""
        assert returned.version == self.version + 1
        stored = Ticket.objects.get(pk=self.ticket.pk)
        assert stored.version == self.version + 1
        assert stored.updated_at > self.updated_at
        assert stored.updated_at == returned.updated_at

    def assert_untouched(self) -> None:
        stored = Ticket.objects.get(pk=self.ticket.pk)
        assert (stored.version, stored.updated_at) == (self.version, self.updated_at)
        assert self.events() == []
        assert Entry.objects.filter(ticket_id=self.ticket.pk).count() == self.entries


@contextmanager
def refused(
    ticket: Ticket,
    exc: type[Exception] | tuple[type[Exception], ...] = Refused,
    match: str | None = None,
) -> Iterator[Any]:
    """The block raises `exc` and leaves the ticket exactly as it was."""
    watch = Watch(ticket)
    with pytest.raises(exc, match=match) as info:
        yield info
    watch.assert_untouched()


def fresh(agent: Agent) -> Agent:
    """The agent read again, without the department and team caches of the old object."""
    return Agent.objects.select_related("user").get(pk=agent.pk)


Bucket = tuple[int, int, int, str, bool]


def counted() -> Counter[Bucket]:
    """What the QueueCount rows say, empty buckets left out."""
    return Counter(
        {
            (q.department_id, q.assignee_key, q.team_key, q.state, q.is_overdue): q.count
            for q in QueueCount.objects.all()
            if q.count != 0
        }
    )


def actual() -> Counter[Bucket]:
    """What a scan of the tickets says."""
    grouped = (
        Ticket.objects.values("department_id", "assignee_id", "team_id", "state", "is_overdue")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Counter(
        {
            (
                r["department_id"],
                r["assignee_id"] or 0,
                r["team_id"] or 0,
                r["state"],
                r["is_overdue"],
            ): r["n"]
            for r in grouped
        }
    )


def assert_counters_true() -> None:
    assert all(q.count >= 0 for q in QueueCount.objects.all()), "a counter went negative"
    assert counted() == actual()
