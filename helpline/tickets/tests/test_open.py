"""Opening tickets: from the portal, by phone through an agent, and by the system."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from helpline.conftest import World
from helpline.sla.models import SLAPlan
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.lifecycle import opening as lifecycle_opening
from helpline.tickets.models import (
    Entry,
    EntryKind,
    Event,
    EventKind,
    IssuedNumber,
    Priority,
    QueueCount,
    Source,
    State,
    Ticket,
)

from .helpers import assert_counters_true, event, rows


def assert_nothing_opened() -> None:
    assert Ticket.objects.count() == 0
    assert Entry.objects.count() == 0
    assert Event.objects.count() == 0
    assert IssuedNumber.objects.count() == 0
    assert sum(QueueCount.objects.values_list("count", flat=True)) == 0


def test_a_customer_opens_a_ticket_on_a_public_topic(world: World) -> None:
    ticket = world.open("Printer on fire", body_html="<p>It is really on fire.</p>")

    ticket.refresh_from_db()
    assert ticket.subject == "Printer on fire"
    assert ticket.customer == world.customer
    assert ticket.topic == world.topic
    assert ticket.department == world.support
    assert ticket.priority.name == "Normal"
    assert ticket.status == world.status("Open")
    assert ticket.state == State.OPEN
    assert ticket.source == Source.WEB
    assert ticket.assignee is None
    assert ticket.team is None
    assert ticket.version == 1
    assert ticket.reopen_count == 0
    assert ticket.sla == world.sla
    assert ticket.due_at == ticket.created_at + timedelta(hours=8)
    assert ticket.last_message_at == ticket.created_at
    assert ticket.last_response_at is None
    assert not ticket.is_overdue
    [entry] = ticket.entries.all()
    assert entry.kind == EntryKind.MESSAGE
    assert entry.customer == world.customer
    assert entry.agent is None
    assert entry.author_name == "Ken Adams"
    assert entry.body == "<p>It is really on fire.</p>"
    assert rows(ticket) == [event(EventKind.CREATED, world.customer, new="Printer on fire")]
    created = ticket.events.get()
    assert created.data == {
        "source": "web",
        "department": world.support.pk,
        "topic": world.topic.pk,
        "priority": ticket.priority_id,
        "autorespond": True,
        "entry": entry.pk,
    }
    assert_counters_true()


def test_a_new_ticket_gets_a_six_digit_number_that_is_recorded_as_issued(world: World) -> None:
    ticket = world.open()

    assert re.fullmatch(r"\d{6}", ticket.number)
    assert IssuedNumber.objects.filter(number=ticket.number).exists()


@pytest.mark.parametrize("subject", ["", "   ", "\n\t "])
def test_the_subject_is_required(world: World, subject: str) -> None:
    with pytest.raises(Refused, match="subject is required"):
        world.open(subject)

    assert_nothing_opened()


def test_the_subject_is_stored_with_single_spaces(world: World) -> None:
    ticket = world.open("  Printer   on\n fire  ")

    assert ticket.subject == "Printer on fire"


def test_a_help_topic_is_required(world: World) -> None:
    with pytest.raises(Refused, match="Choose a help topic"):
        world.open(topic=None)

    assert_nothing_opened()


def test_a_customer_cannot_skip_the_help_topic_by_naming_a_department(world: World) -> None:
    # Customers pick a topic, never routing: a department alone is no topic.
    with pytest.raises(Refused, match="Choose a help topic"):
        world.open(topic=None, department=world.sales)

    assert_nothing_opened()


def test_a_customer_cannot_pick_an_internal_topic(world: World) -> None:
    world.topic.is_public = False
    world.topic.save()

    with pytest.raises(Refused, match="not available"):
        world.open()

    assert_nothing_opened()


def test_a_customer_cannot_pick_an_inactive_topic(world: World) -> None:
    world.topic.is_active = False
    world.topic.save()

    with pytest.raises(Refused, match="not available"):
        world.open()

    assert_nothing_opened()


def test_a_customer_cannot_open_a_ticket_for_another_customer(world: World) -> None:
    with pytest.raises(NotAllowed):
        world.open(actor=world.outsider, customer=world.customer)

    assert_nothing_opened()


def test_a_customer_cannot_choose_department_priority_or_assignment(world: World) -> None:
    ticket = world.open(
        department=world.sales,
        priority=Priority.objects.get(name="Emergency"),
        assignee=world.agent,
        team=world.team,
    )

    assert ticket.department == world.support
    assert ticket.priority.name == "Normal"
    assert ticket.assignee is None
    assert ticket.team is None
    assert ticket.version == 1


@pytest.mark.parametrize("body", ["", "   ", "<p> </p>", "<script>alert(1)</script>"])
def test_a_ticket_without_a_first_message_is_refused(world: World, body: str) -> None:
    with pytest.raises(Refused, match="empty"):
        world.open(body_html=body)

    assert_nothing_opened()


def test_an_agent_opens_a_ticket_by_phone_on_behalf_of_a_customer(world: World) -> None:
    ticket = world.open(actor=world.agent, source=Source.PHONE, body_html="<p>Called in.</p>")

    assert ticket.customer == world.customer
    assert ticket.source == Source.PHONE
    [entry] = ticket.entries.all()
    # The first message is the customer's account, though the agent typed it.
    assert entry.kind == EntryKind.MESSAGE
    assert entry.customer == world.customer
    assert entry.agent is None
    assert entry.author_name == "Ken Adams"
    assert entry.source == Source.PHONE
    # The event records who opened it.
    assert rows(ticket) == [
        event(
            EventKind.CREATED,
            world.agent,
            new="Printer on fire",
            reason="Opened by Alice Agent for Ken Adams",
        )
    ]
    assert ticket.events.get().data["source"] == "phone"


def test_an_agent_may_open_a_ticket_on_an_internal_topic(world: World) -> None:
    world.topic.is_public = False
    world.topic.save()

    ticket = world.open(actor=world.agent)

    assert ticket.topic == world.topic


def test_an_agent_may_open_a_ticket_with_a_department_and_no_topic(world: World) -> None:
    ticket = world.open(actor=world.agent, topic=None, department=world.support)

    assert ticket.department == world.support
    assert ticket.topic is None
    assert ticket.priority == Priority.objects.get(is_default=True)


def test_an_agent_may_choose_the_priority(world: World) -> None:
    ticket = world.open(actor=world.agent, priority=Priority.objects.get(name="High"))

    assert ticket.priority.name == "High"


def test_an_agent_without_access_to_the_department_cannot_open_a_ticket_there(
    world: World,
) -> None:
    with pytest.raises(NotAllowed, match="Support"):
        world.open(actor=world.other_agent)

    assert_nothing_opened()


def test_an_agent_opens_a_ticket_in_their_own_department(world: World) -> None:
    ticket = world.open(actor=world.other_agent, topic=world.sales_topic)

    assert ticket.department == world.sales


def test_an_inactive_agent_cannot_open_a_ticket(world: World) -> None:
    world.agent.user.is_active = False
    world.agent.user.save()

    with pytest.raises(NotAllowed):
        world.open(actor=world.agent)

    assert_nothing_opened()


def test_a_supervisor_opens_a_ticket_assigned_to_an_agent_and_a_team(world: World) -> None:
    ticket = world.open(actor=world.supervisor, assignee=world.agent, team=world.team)

    ticket.refresh_from_db()
    assert ticket.assignee == world.agent
    assert ticket.team == world.team
    assert ticket.version == 2
    assert rows(ticket) == [
        event(
            EventKind.CREATED,
            world.supervisor,
            new="Printer on fire",
            reason="Opened by Sam Super for Ken Adams",
        ),
        event(EventKind.ASSIGNED, world.supervisor, field="agent", new="Alice Agent"),
        event(EventKind.ASSIGNED, world.supervisor, field="team", new="Level II"),
    ]
    assert_counters_true()


def test_a_plain_agent_cannot_open_a_ticket_assigned_to_someone_else(world: World) -> None:
    with pytest.raises(NotAllowed):
        world.open(actor=world.agent, assignee=world.supervisor)

    assert_nothing_opened()


def test_the_system_opens_tickets_from_email(world: World) -> None:
    ticket = world.open(actor=None, source=Source.EMAIL)

    assert ticket.source == Source.EMAIL
    assert ticket.entries.get().customer == world.customer
    assert rows(ticket) == [event(EventKind.CREATED, None, new="Printer on fire")]


def test_the_topics_sla_plan_comes_before_the_departments_and_the_default(world: World) -> None:
    fast = SLAPlan.objects.create(name="Fast", resolution_hours=2)
    slow = SLAPlan.objects.create(name="Slow", resolution_hours=48)
    world.support.sla = slow
    world.support.save()
    world.topic.sla = fast
    world.topic.save()

    on_topic = world.open()
    on_department = world.open(actor=world.agent, topic=None, department=world.support)
    fast.is_active = False
    fast.save()
    world.topic.refresh_from_db()
    inactive_topic_plan = world.open()

    assert on_topic.sla == fast
    assert on_topic.due_at == on_topic.created_at + timedelta(hours=2)
    assert on_department.sla == slow
    assert inactive_topic_plan.sla == slow


def test_a_ticket_without_any_sla_plan_has_no_due_time(world: World) -> None:
    SLAPlan.objects.update(is_active=False)

    ticket = world.open()

    assert ticket.sla is None
    assert ticket.due_at is None


def _draws(*numbers: int) -> SimpleNamespace:
    """A stand-in for the `secrets` module that draws the given numbers in turn."""
    queue = list(numbers)
    return SimpleNamespace(randbelow=lambda bound: queue.pop(0))


def test_a_number_already_issued_is_never_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle_opening, "secrets", _draws(42, 42, 43))

    first = world.open()
    second = world.open()

    assert first.number == "000042"
    assert second.number == "000043"


def test_the_number_of_a_deleted_ticket_is_never_reused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle_opening, "secrets", _draws(7, 7, 8))
    gone = world.open()
    gone.delete()

    ticket = world.open()

    assert ticket.number == "000008"
    assert IssuedNumber.objects.filter(number="000007").exists()


def test_numbers_grow_a_digit_when_six_digits_are_crowded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    IssuedNumber.objects.create(number="000007")
    # Every six-digit draw hits a taken number; wider draws are free.
    monkeypatch.setattr(
        lifecycle_opening,
        "secrets",
        SimpleNamespace(randbelow=lambda bound: 7 if bound == 10**6 else 8),
    )

    ticket = world.open()

    assert ticket.number == "0000008"


def test_the_system_cannot_assign_while_opening(world: World) -> None:
    with pytest.raises(NotAllowed, match="Only agents assign"):
        lifecycle_opening.open_ticket(
            lifecycle_opening.NewTicket(
                customer=world.customer,
                subject="From a monitor",
                body_html="<p>disk full</p>",
                topic=world.topic,
                assignee=world.agent,
            ),
            actor=None,
        )
    assert_nothing_opened()
