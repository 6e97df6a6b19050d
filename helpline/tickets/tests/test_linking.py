"""Linking tickets (related; parent and child), resolving a parent's children, and
splitting a message off into a new ticket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpline.conftest import World, make_customer
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused, Upload
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    EventKind,
    LinkKind,
    Source,
    State,
    Ticket,
    TicketLink,
)

from .helpers import Watch, assert_counters_true, event, refused, reload


@contextmanager
def both_refused(
    a: Ticket, b: Ticket, exc: type[Exception] = Refused, match: str | None = None
) -> Iterator[None]:
    """The block raises `exc` and leaves both tickets exactly as they were."""
    watches = Watch(a), Watch(b)
    with pytest.raises(exc, match=match):
        yield
    for watch in watches:
        watch.assert_untouched()


@pytest.fixture
def outage(world: World) -> Ticket:
    return world.open("Mail is down")


@pytest.fixture
def report(world: World) -> Ticket:
    return world.open("I get no mail", customer=world.outsider, actor=world.outsider)


# --- links ------------------------------------------------------------------------------


def test_related_tickets_show_the_link_on_both_sides(
    world: World, outage: Ticket, report: Ticket
) -> None:
    on_outage, on_report = Watch(outage), Watch(report)

    got = lifecycle.link(outage, other=report, kind=LinkKind.RELATED, actor=world.agent)

    assert got.pk == outage.pk
    assert list(TicketLink.objects.values_list("ticket", "other", "kind")) == [
        (outage.pk, report.pk, LinkKind.RELATED)
    ]
    assert on_outage.events() == [
        event(EventKind.LINK_ADDED, world.agent, field="related", new=f"#{report.number}")
    ]
    assert on_report.events() == [
        event(EventKind.LINK_ADDED, world.agent, field="related", new=f"#{outage.number}")
    ]
    on_outage.assert_bumped(got)
    on_report.assert_bumped(reload(report))


def test_a_parent_and_its_child_each_say_what_the_other_is(
    world: World, outage: Ticket, report: Ticket
) -> None:
    on_outage, on_report = Watch(outage), Watch(report)

    lifecycle.link(outage, other=report, kind=LinkKind.PARENT, actor=world.agent)

    assert [e.field for e in on_outage.events()] == ["child"]
    assert [e.field for e in on_report.events()] == ["parent"]
    assert lifecycle.open_children(outage) == [report]


def test_two_tickets_are_linked_once_whichever_way_round(
    world: World, outage: Ticket, report: Ticket
) -> None:
    lifecycle.link(outage, other=report, kind=LinkKind.RELATED, actor=world.agent)

    with both_refused(report, outage, match="already linked"):
        lifecycle.link(report, other=outage, kind=LinkKind.PARENT, actor=world.agent)


def test_a_child_has_one_parent(world: World, outage: Ticket, report: Ticket) -> None:
    other_outage = world.open("Mail is down again")
    lifecycle.link(outage, other=report, kind=LinkKind.PARENT, actor=world.agent)

    with both_refused(other_outage, report, match=f"already has a parent, #{outage.number}"):
        lifecycle.link(other_outage, other=report, kind=LinkKind.PARENT, actor=world.agent)


def test_a_ticket_cannot_become_its_own_ancestor(
    world: World, outage: Ticket, report: Ticket
) -> None:
    grandchild = world.open("Me neither")
    lifecycle.link(outage, other=report, kind=LinkKind.PARENT, actor=world.agent)
    lifecycle.link(report, other=grandchild, kind=LinkKind.PARENT, actor=world.agent)

    with both_refused(grandchild, outage, match="its own ancestor"):
        lifecycle.link(grandchild, other=outage, kind=LinkKind.PARENT, actor=world.agent)


def test_a_ticket_cannot_be_linked_to_itself(world: World, outage: Ticket) -> None:
    with refused(outage, Refused, match="to itself"):
        lifecycle.link(outage, other=outage, kind=LinkKind.RELATED, actor=world.agent)


def test_an_agent_of_another_department_cannot_link(
    world: World, outage: Ticket, report: Ticket
) -> None:
    with both_refused(outage, report, NotAllowed):
        lifecycle.link(outage, other=report, kind=LinkKind.RELATED, actor=world.other_agent)


def test_unlinking_removes_the_link_from_both_sides(
    world: World, outage: Ticket, report: Ticket
) -> None:
    lifecycle.link(outage, other=report, kind=LinkKind.PARENT, actor=world.agent)
    on_outage, on_report = Watch(outage), Watch(report)

    lifecycle.unlink(report, other=outage, actor=world.supervisor)

    assert not TicketLink.objects.exists()
    assert on_report.events() == [
        event(EventKind.LINK_REMOVED, world.supervisor, field="parent", old=f"#{outage.number}")
    ]
    assert on_outage.events() == [
        event(EventKind.LINK_REMOVED, world.supervisor, field="child", old=f"#{report.number}")
    ]
    with both_refused(report, outage, match="are not linked"):
        lifecycle.unlink(report, other=outage, actor=world.supervisor)


def test_a_merged_ticket_takes_no_links(world: World, outage: Ticket, report: Ticket) -> None:
    lifecycle.merge(report, into=outage, actor=world.agent)
    third = world.open("Third")

    with both_refused(third, report, match=f"merged into #{outage.number}"):
        lifecycle.link(third, other=report, kind=LinkKind.RELATED, actor=world.agent)


# --- a parent's children -------------------------------------------------------------------


def test_resolving_a_parent_resolves_its_open_children_with_the_same_explanation(
    world: World, outage: Ticket, report: Ticket
) -> None:
    closed_child = world.open("Closed one")
    lifecycle.close(closed_child, actor=world.agent)
    for child in (report, closed_child):
        lifecycle.link(outage, other=child, kind=LinkKind.PARENT, actor=world.agent)
    lifecycle.resolve(outage, actor=world.agent, explanation_html="<p>The server is back.</p>")

    done = lifecycle.resolve_children(
        outage, actor=world.agent, explanation_html="<p>The server is back.</p>"
    )

    assert done.resolved == [reload(report)] and done.refused == []
    assert reload(report).is_resolved
    answer = Entry.objects.filter(ticket=report, is_resolution=True).get()
    assert (answer.body, answer.author_name) == ("<p>The server is back.</p>", "Alice Agent")
    assert reload(closed_child).status == world.status("Closed")  # only open children
    assert_counters_true()


def test_a_refused_child_is_reported_and_does_not_stop_the_others(
    world: World, outage: Ticket, report: Ticket
) -> None:
    sales_child = world.open("Invoices do not arrive", topic=world.sales_topic)
    for child in (report, sales_child):
        lifecycle.link(outage, other=child, kind=LinkKind.PARENT, actor=world.admin)

    done = lifecycle.resolve_children(outage, actor=world.agent, explanation_html="<p>Fixed.</p>")

    assert [t.pk for t in done.resolved] == [report.pk]
    assert [(t.pk, reason) for t, reason in done.refused] == [
        (sales_child.pk, "You are not allowed to do that on this ticket.")
    ]
    assert reload(sales_child).state == State.OPEN


def test_resolving_children_needs_an_explanation(
    world: World, outage: Ticket, report: Ticket
) -> None:
    lifecycle.link(outage, other=report, kind=LinkKind.PARENT, actor=world.agent)

    with refused(report, Refused, match="Explain the resolution"):
        lifecycle.resolve_children(outage, actor=world.agent, explanation_html="<p> </p>")


# --- splitting ------------------------------------------------------------------------------


def test_a_message_is_split_off_into_a_new_linked_ticket(
    world: World, media: Path, outage: Ticket
) -> None:
    kim = make_customer("Kim Colleague", "kim@example.net")
    lifecycle.add_collaborator(outage, actor=world.agent, customer=kim)
    outage = lifecycle.customer_reply(
        outage,
        actor=kim,
        body_html="<p>Also: my screen flickers.</p>",
        uploads=[Upload("screen.txt", "text/plain", b"flicker")],
        source=Source.EMAIL,
    )
    message = Entry.objects.filter(ticket=outage).latest("pk")
    on_outage = Watch(outage)

    new = lifecycle.split(message, actor=world.agent, subject="  Screen   flickers ")

    moved = Entry.objects.get(pk=message.pk)
    assert (moved.ticket_id, moved.author_name, moved.source) == (new.pk, "Kim Colleague", "email")
    assert moved.created_at == message.created_at
    assert Attachment.objects.get().ticket_id == new.pk
    assert (new.subject, new.customer, new.department) == ("Screen flickers", kim, world.support)
    assert list(Entry.objects.filter(ticket=new).values_list("pk", flat=True)) == [message.pk]
    assert new.events.get(kind=EventKind.CREATED).data["entry"] == message.pk
    assert TicketLink.objects.filter(ticket=outage, other=new, kind=LinkKind.RELATED).exists()
    assert on_outage.events() == [
        event(EventKind.SPLIT, world.agent, field="split", new=f"#{new.number}")
    ]
    assert new.events.filter(kind=EventKind.SPLIT, old_value=f"#{outage.number}").exists()
    assert_counters_true()


def test_the_first_message_and_agents_entries_are_not_split_off(
    world: World, outage: Ticket
) -> None:
    first = Entry.objects.get(ticket=outage)
    lifecycle.add_note(outage, actor=world.agent, body_html="<p>Looking.</p>")
    note = Entry.objects.get(ticket=outage, kind=EntryKind.NOTE)

    with refused(outage, Refused, match="first message"):
        lifecycle.split(first, actor=world.agent)
    with refused(outage, Refused, match="Only customers' messages"):
        lifecycle.split(note, actor=world.agent)
    assert Ticket.objects.count() == 1


def test_an_agent_of_another_department_cannot_split(world: World, outage: Ticket) -> None:
    outage = lifecycle.customer_reply(outage, actor=world.customer, body_html="<p>More.</p>")
    message = Entry.objects.filter(ticket=outage).latest("pk")

    with refused(outage, NotAllowed):
        lifecycle.split(message, actor=world.other_agent)
