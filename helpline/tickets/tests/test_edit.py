"""Changing a ticket's priority, subject and help topic."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import EventKind, HelpTopic, Priority, Ticket

from .helpers import Watch, event, last_event, refused, reload


def priority(name: str) -> Priority:
    return Priority.objects.get(name=name)


# --- priority ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Low", "High", "Emergency"])
def test_an_agent_changes_the_priority(world: World, ticket: Ticket, name: str) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.change_priority(
        ticket, actor=world.agent, priority=priority(name), reason="Whole floor is down"
    )

    assert reload(ticket).priority == priority(name)
    assert watch.events() == [
        event(
            EventKind.EDITED,
            world.agent,
            field="priority",
            old="Normal",
            new=name,
            reason="Whole floor is down",
        )
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": priority("Normal").pk, "new": priority(name).pk}


def test_setting_the_same_priority_is_refused(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="already Normal"):
        lifecycle.change_priority(ticket, actor=world.agent, priority=priority("Normal"))


def test_the_customer_cannot_change_the_priority(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.change_priority(ticket, actor=world.customer, priority=priority("Emergency"))


# --- subject and topic ------------------------------------------------------------------


def test_an_agent_edits_the_subject(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.edit(
        ticket, actor=world.agent, subject="  Printer   smoking ", reason="Clearer"
    )

    assert reload(ticket).subject == "Printer smoking"
    assert watch.events() == [
        event(
            EventKind.EDITED,
            world.agent,
            field="subject",
            old="Printer on fire",
            new="Printer smoking",
            reason="Clearer",
        )
    ]
    watch.assert_bumped(ticket)


def test_an_agent_changes_the_help_topic_and_the_department_stays(
    world: World, ticket: Ticket
) -> None:
    toner = HelpTopic.objects.create(name="Toner", department=world.support)
    watch = Watch(ticket)

    ticket = lifecycle.edit(ticket, actor=world.agent, topic=toner)

    fresh = reload(ticket)
    assert fresh.topic == toner
    assert fresh.department == world.support
    assert watch.events() == [
        event(EventKind.EDITED, world.agent, field="topic", old="Printers", new="Toner")
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": world.topic.pk, "new": toner.pk}


def test_subject_and_topic_change_together_in_one_version(world: World, ticket: Ticket) -> None:
    toner = HelpTopic.objects.create(name="Toner", department=world.support)
    watch = Watch(ticket)

    ticket = lifecycle.edit(ticket, actor=world.agent, subject="Out of toner", topic=toner)

    assert watch.events() == [
        event(
            EventKind.EDITED,
            world.agent,
            field="subject",
            old="Printer on fire",
            new="Out of toner",
        ),
        event(EventKind.EDITED, world.agent, field="topic", old="Printers", new="Toner"),
    ]
    watch.assert_bumped(ticket)


@pytest.mark.parametrize("subject", ["", "   ", "\n"])
def test_the_subject_cannot_be_emptied(world: World, ticket: Ticket, subject: str) -> None:
    with refused(ticket, Refused, match="subject cannot be empty"):
        lifecycle.edit(ticket, actor=world.agent, subject=subject)


@pytest.mark.parametrize(
    "changes",
    [{}, {"subject": "Printer on fire"}, {"subject": " Printer  on fire "}, {"topic": "same"}],
    ids=["nothing", "same subject", "same subject spaced", "same topic"],
)
def test_an_edit_that_changes_nothing_is_refused(
    world: World, ticket: Ticket, changes: dict[str, object]
) -> None:
    if "topic" in changes:
        changes = {"topic": world.topic}

    with refused(ticket, Refused, match="Nothing was changed"):
        lifecycle.edit(ticket, actor=world.agent, **changes)  # type: ignore[arg-type]


def test_the_customer_cannot_edit_the_ticket(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.edit(ticket, actor=world.customer, subject="Free printer")


# --- a topic of the ticket's own department ---------------------------------------------


@pytest.mark.parametrize("actor", ["agent", "supervisor", "admin"])
def test_no_agent_can_give_a_ticket_a_topic_of_another_department(
    world: World, ticket: Ticket, actor: str
) -> None:
    with refused(
        ticket,
        Refused,
        match="The help topic “Pricing” belongs to Sales; this ticket is in Support. "
        "Choose a topic of Support, or transfer the ticket to Sales first.",
    ):
        lifecycle.edit(
            ticket, actor=getattr(world, actor), subject="Quote", topic=world.sales_topic
        )


def test_after_a_transfer_the_old_topic_may_stay_and_a_topic_of_the_new_department_is_given(
    world: World, ticket: Ticket
) -> None:
    ticket = lifecycle.transfer(ticket, actor=world.admin, department=world.sales)
    # The topic it came with stays (nobody gave it one), so the subject alone changes.
    ticket = lifecycle.edit(ticket, actor=world.admin, subject="Quote", topic=world.topic)
    assert reload(ticket).topic == world.topic
    ticket = lifecycle.edit(ticket, actor=world.admin, topic=world.sales_topic)
    assert reload(ticket).topic == world.sales_topic
    with refused(ticket, Refused, match="belongs to Support; this ticket is in Sales"):
        lifecycle.edit(ticket, actor=world.admin, topic=world.topic)


def test_an_agent_cannot_open_a_ticket_in_one_department_with_a_topic_of_another(
    world: World,
) -> None:
    before = Ticket.objects.count()
    with pytest.raises(Refused, match="The help topic “Printers” belongs to Support, not Sales"):
        world.open(actor=world.admin, topic=world.topic, department=world.sales)
    assert Ticket.objects.count() == before
    ticket = world.open(actor=world.admin, topic=world.topic, department=world.support)
    assert (ticket.topic, ticket.department) == (world.topic, world.support)


def test_system_channels_still_open_follow_ups_of_transferred_tickets(world: World) -> None:
    """A follow-up keeps the old ticket's topic and department, which a transfer
    may have parted; a mailbox's topic is the administrator's choice. Neither is
    an agent giving a topic, so neither is refused."""
    ticket = world.open(actor=None, topic=world.topic, department=world.sales)
    assert (ticket.topic, ticket.department) == (world.topic, world.sales)
