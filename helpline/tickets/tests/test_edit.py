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
