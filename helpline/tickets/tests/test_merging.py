"""Merging a duplicate into the ticket that stays, and undoing the merge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpline.accounts.models import Role
from helpline.conftest import World, make_agent, make_customer
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Conflict, NotAllowed, Refused, Upload
from helpline.tickets.lifecycle.core import Change
from helpline.tickets.models import (
    Attachment,
    Collaborator,
    Entry,
    EntryKind,
    EventKind,
    Priority,
    Source,
    State,
    Ticket,
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
def pair(world: World) -> tuple[Ticket, Ticket]:
    """Ken's ticket and his duplicate of it, their messages interleaved in time:
    the original, the duplicate (by mail), Alice's reply on the original, and
    Ken's second message on the duplicate."""
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire", source=Source.EMAIL)
    keep = lifecycle.reply(keep, actor=world.agent, body_html="<p>Unplug it.</p>")
    dup = lifecycle.customer_reply(
        dup, actor=world.customer, body_html="<p>It smokes.</p>", source=Source.EMAIL
    )
    return keep, dup


def thread(ticket: Ticket) -> list[tuple[str, str, str]]:
    return [
        (e.author_name, e.source, e.body)
        for e in Entry.objects.filter(ticket_id=ticket.pk).order_by("created_at", "id")
    ]


# --- merging -----------------------------------------------------------------------------


def test_merging_combines_the_threads_in_time_order_keeping_authors_and_origin(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair

    survivor = lifecycle.merge(dup, into=keep, actor=world.agent)

    assert survivor.pk == keep.pk
    assert thread(keep) == [
        ("Ken Adams", Source.WEB, "<p>It is really on fire.</p>"),
        ("Ken Adams", Source.EMAIL, "<p>It is really on fire.</p>"),
        ("Alice Agent", Source.WEB, "<p>Unplug it.</p>"),
        ("Ken Adams", Source.EMAIL, "<p>It smokes.</p>"),
    ]
    assert thread(dup) == []
    moved = Entry.objects.filter(ticket=keep, merged_from=dup)
    assert moved.count() == 2
    assert not Entry.objects.filter(ticket=keep, merged_from__isnull=True, source=Source.EMAIL)


def test_the_merged_ticket_is_closed_and_leaves_the_open_queues(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair

    lifecycle.merge(dup, into=keep, actor=world.agent)

    merged = reload(dup)
    assert merged.merged_into_id == keep.pk
    assert (merged.state, merged.status) == (State.CLOSED, world.status("Closed"))
    assert merged.closed_at is not None and not merged.is_overdue
    assert reload(keep).state == State.OPEN
    assert lifecycle.survivor_of(merged) == keep
    assert_counters_true()


def test_events_record_the_merge_on_both_tickets(world: World, pair: tuple[Ticket, Ticket]) -> None:
    keep, dup = pair
    on_keep, on_dup = Watch(keep), Watch(dup)

    survivor = lifecycle.merge(dup, into=keep, actor=world.agent)

    assert on_dup.events() == [
        event(EventKind.MERGED, world.agent, field="status", old="Open", new="Closed")
    ]
    assert on_keep.events() == [
        event(EventKind.MERGED_IN, world.agent, field="merged", new=f"#{dup.number}")
    ]
    on_keep.assert_bumped(survivor)
    merged_event = dup.events.get(kind=EventKind.MERGED)
    assert merged_event.data["number"] == keep.number
    assert merged_event.data["entries"] == 2


def test_the_merged_tickets_people_follow_the_survivor(world: World) -> None:
    kim = make_customer("Kim Colleague", "kim@example.net")
    keep = world.open(collaborators=[world.outsider])
    dup = world.open(customer=kim, actor=kim, collaborators=[world.outsider, world.customer])

    lifecycle.merge(dup, into=keep, actor=world.agent)

    followers = set(Collaborator.objects.filter(ticket=keep).values_list("customer", flat=True))
    assert followers == {world.outsider.pk, kim.pk}  # Ken is its customer; Olive was there
    assert keep.events.get(kind=EventKind.MERGED_IN).data["joined"] == [kim.pk]


def test_a_merged_tickets_files_move_with_its_messages(
    world: World, media: Path, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.add_note(
        dup,
        actor=world.agent,
        body_html="<p>log</p>",
        uploads=[Upload("log.txt", "text/plain", b"hello")],
    )

    lifecycle.merge(dup, into=keep, actor=world.agent)

    attachment = Attachment.objects.get()
    assert (attachment.ticket_id, attachment.entry.ticket_id) == (keep.pk, keep.pk)
    lifecycle.unmerge(dup, actor=world.agent)
    attachment.refresh_from_db()
    assert (attachment.ticket_id, attachment.entry.ticket_id) == (dup.pk, dup.pk)


def test_an_agent_of_another_department_cannot_merge(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair

    with both_refused(keep, dup, NotAllowed):
        lifecycle.merge(dup, into=keep, actor=world.other_agent)


def test_merges_never_cross_into_a_department_the_agent_cannot_see(
    world: World, ticket: Ticket
) -> None:
    # Alice sees the Sales ticket (it is her team's) but not its department.
    sales = world.open("Quote", topic=world.sales_topic)
    sales = lifecycle.assign(sales, actor=world.admin, team=world.team)

    with both_refused(ticket, sales, NotAllowed, match="no access to Sales"):
        lifecycle.merge(ticket, into=sales, actor=world.agent)
    with both_refused(ticket, sales, NotAllowed):
        lifecycle.merge(sales, into=ticket, actor=world.agent)

    lifecycle.merge(ticket, into=sales, actor=world.admin)
    assert reload(ticket).merged_into_id == sales.pk


def test_an_agent_with_both_departments_merges_across_them(world: World, ticket: Ticket) -> None:
    both = make_agent("bea.both", Role.AGENT, world.support, world.sales)
    sales = world.open("Quote", topic=world.sales_topic)

    lifecycle.merge(ticket, into=sales, actor=both)

    assert thread(sales)[0][2] == "<p>It is really on fire.</p>"


def test_a_ticket_cannot_be_merged_into_itself(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="into itself"):
        lifecycle.merge(ticket, into=ticket, actor=world.agent)


def test_a_merged_ticket_is_neither_merged_again_nor_merged_into(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)
    third = world.open("Third")

    with both_refused(dup, third, match=f"merged into #{keep.number}"):
        lifecycle.merge(dup, into=third, actor=world.agent)
    with both_refused(third, dup, match=f"merge into #{keep.number} instead"):
        lifecycle.merge(third, into=dup, actor=world.agent)


def test_a_merge_against_an_older_version_conflicts(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    seen = dup.version
    lifecycle.change_priority(dup, actor=world.agent, priority=Priority.objects.get(name="High"))

    with both_refused(keep, dup, Conflict):
        lifecycle.merge(dup, into=keep, actor=world.agent, expected_version=seen)


def test_a_merged_ticket_is_read_only_and_names_its_survivor(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)
    merged = reload(dup)
    survivor = f"merged into #{keep.number}"

    with refused(merged, Refused, match=survivor):
        lifecycle.reopen(merged, actor=world.agent)
    with refused(merged, Refused, match=survivor):
        lifecycle.edit(merged, actor=world.agent, subject="New")
    with refused(merged, Refused, match=survivor):
        lifecycle.add_collaborator(merged, actor=world.agent, customer=world.outsider)


def test_a_message_written_to_a_merged_ticket_lands_in_the_survivor(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)

    got = lifecycle.customer_reply(dup, actor=world.customer, body_html="<p>Any news?</p>")
    noted = lifecycle.add_note(dup, actor=None, body_html="<p>Bounce</p>")

    assert got == keep and noted == keep
    assert thread(keep)[-2:] == [
        ("Ken Adams", Source.WEB, "<p>Any news?</p>"),
        ("System", Source.WEB, "<p>Bounce</p>"),
    ]
    assert thread(dup) == []


def test_a_chain_of_merges_is_followed_to_its_end(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    last = world.open("The one that stays")
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.merge(keep, into=last, actor=world.agent)

    assert lifecycle.survivor_of(reload(dup)) == last
    assert len(thread(last)) == 5
    got = lifecycle.customer_reply(dup, actor=world.customer, body_html="<p>Hello?</p>")
    assert got == last


# --- undo ------------------------------------------------------------------------------------


def test_a_merge_is_undone_while_neither_ticket_changed(world: World) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire", customer=world.outsider, actor=world.outsider)
    dup = lifecycle.change_status(dup, actor=world.agent, status=world.status("On Hold"))
    before = thread(keep), thread(dup), reload(dup).status, reload(keep).last_message_at
    lifecycle.merge(dup, into=keep, actor=world.agent)
    on_keep, on_dup = Watch(keep), Watch(dup)

    restored = lifecycle.unmerge(dup, actor=world.supervisor)

    assert restored.pk == dup.pk and restored.merged_into_id is None
    assert (thread(keep), thread(dup), reload(dup).status) == before[:3]
    assert reload(keep).last_message_at == before[3]
    assert reload(dup).state == State.OPEN and reload(dup).closed_at is None
    assert not Entry.objects.filter(merged_from__isnull=False).exists()
    assert not Collaborator.objects.filter(ticket=keep).exists()  # Olive joined, and left
    assert on_dup.events() == [
        event(EventKind.UNMERGED, world.supervisor, field="status", old="Closed", new="On Hold")
    ]
    assert on_keep.events() == [
        event(EventKind.UNMERGED, world.supervisor, field="merged", old=f"#{dup.number}")
    ]
    assert_counters_true()


def test_undo_is_refused_once_the_survivor_changed_and_the_reason_names_the_change(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.reply(keep, actor=world.supervisor, body_html="<p>Both fixed.</p>")
    assert "Replied, by Sam Super" in (lifecycle.undo_blocker(reload(dup)) or "")

    with both_refused(dup, keep, match=rf"#{keep.number} changed after it \(Replied, by Sam Super"):
        lifecycle.unmerge(dup, actor=world.agent)


def test_the_clocks_overdue_mark_does_not_block_the_undo(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)
    change = Change(reload(keep), None)
    change.event(EventKind.OVERDUE, field="overdue", old=False, new=True)
    change.save()
    assert lifecycle.undo_blocker(reload(dup)) is None

    lifecycle.unmerge(dup, actor=world.agent)

    assert reload(dup).merged_into_id is None


def test_a_ticket_that_is_not_merged_has_nothing_to_undo(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="not merged"):
        lifecycle.unmerge(ticket, actor=world.agent)


def test_an_agent_who_cannot_see_both_tickets_cannot_undo(
    world: World, pair: tuple[Ticket, Ticket]
) -> None:
    keep, dup = pair
    lifecycle.merge(dup, into=keep, actor=world.agent)

    with both_refused(dup, keep, NotAllowed):
        lifecycle.unmerge(dup, actor=world.other_agent)


def test_merged_entries_are_of_every_kind(world: World, pair: tuple[Ticket, Ticket]) -> None:
    keep, dup = pair
    lifecycle.add_note(dup, actor=world.agent, body_html="<p>Same printer.</p>")

    lifecycle.merge(dup, into=keep, actor=world.agent)

    kinds = list(Entry.objects.filter(merged_from=dup).values_list("kind", flat=True))
    assert sorted(kinds) == [EntryKind.MESSAGE, EntryKind.MESSAGE, EntryKind.NOTE]
