"""A help topic's task templates become the tasks of every ticket opened on it, in
the opening's own transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Role, Team
from helpline.conftest import World, make_agent
from helpline.ticket_tasks.models import Task, TaskEvent, TaskState, TaskTemplate
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, HelpTopic


@pytest.fixture
def onboarding(world: World) -> HelpTopic:
    """Topic "New employee" in Support: account (Level II, a day), laptop (Sales,
    Bob, three days), and an inactive template."""
    topic = HelpTopic.objects.create(
        name="New employee", department=world.support, priority=world.topic.priority
    )
    TaskTemplate.objects.create(
        topic=topic, title="Create account", team=world.team, due_hours=24, order=1
    )
    TaskTemplate.objects.create(
        topic=topic,
        title="Order laptop",
        description="The standard model.",
        department=world.sales,
        assignee=world.other_agent,
        due_hours=72,
        order=2,
    )
    TaskTemplate.objects.create(topic=topic, title="Fax the form", is_active=False)
    return topic


def test_a_new_ticket_gets_the_tasks_of_its_help_topic(world: World, onboarding: HelpTopic) -> None:
    ticket = world.open("Nina starts on Monday", topic=onboarding)

    account, laptop = Task.objects.filter(ticket=ticket).order_by("pk")
    assert (account.title, account.department, account.assignee, account.team) == (
        "Create account",
        world.support,
        None,
        world.team,
    )
    assert account.due_at == ticket.created_at + timedelta(hours=24)
    assert (laptop.title, laptop.description, laptop.department, laptop.assignee) == (
        "Order laptop",
        "The standard model.",
        world.sales,
        world.other_agent,
    )
    assert laptop.due_at == ticket.created_at + timedelta(hours=72)
    assert {t.state for t in (account, laptop)} == {TaskState.OPEN}
    assert account.template is not None and account.created_by is None


def test_the_tasks_from_a_template_have_their_events_on_the_task_and_the_ticket(
    world: World, onboarding: HelpTopic
) -> None:
    ticket = world.open("Nina starts on Monday", topic=onboarding)
    laptop = Task.objects.get(ticket=ticket, title="Order laptop")

    assert [
        (e.kind, e.actor_name, e.field, e.new_value)
        for e in TaskEvent.objects.filter(task=laptop).order_by("pk")
    ] == [("created", "System", "", "Order laptop"), ("assigned", "System", "agent", "Bob Sales")]
    told = Event.objects.filter(ticket=ticket, kind=EventKind.EDITED, field="task").order_by("pk")
    assert [(e.new_value, e.data["action"]) for e in told] == [
        ("Create account", "created"),
        ("Order laptop", "created"),
    ]
    # After the opening's own "created" event on the timeline.
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert all(e.pk > created.pk for e in told)


def test_the_tasks_hold_the_new_ticket_open(world: World, onboarding: HelpTopic) -> None:
    ticket = world.open("Nina starts on Monday", topic=onboarding)

    with pytest.raises(lifecycle.Refused, match="Create account, Order laptop"):
        lifecycle.close(ticket, actor=world.admin)


def test_a_topic_without_templates_opens_tickets_without_tasks(world: World) -> None:
    world.open()

    assert not Task.objects.exists()


def test_a_templates_inactive_agent_or_team_is_left_out(
    world: World, onboarding: HelpTopic
) -> None:
    gone = make_agent("gus.gone", Role.AGENT, world.support)
    gone.user.is_active = False
    gone.user.save()
    old_team = Team.objects.create(name="Old team", is_active=False)
    TaskTemplate.objects.filter(title="Order laptop").update(assignee=gone, team=old_team)

    ticket = world.open("Nina starts on Monday", topic=onboarding)

    laptop = Task.objects.get(ticket=ticket, title="Order laptop")
    assert (laptop.assignee, laptop.team) == (None, None)


def test_a_refused_opening_leaves_no_task(world: World, onboarding: HelpTopic) -> None:
    """An agent (not a supervisor) may not assign while opening: the assignment is
    refused inside the opening's transaction, after the tasks were made, and the
    rollback takes them with the ticket."""
    with pytest.raises(lifecycle.NotAllowed):
        world.open(
            "Nina starts on Monday",
            topic=onboarding,
            actor=world.agent,
            assignee=world.other_agent,
        )

    assert not Task.objects.exists()


def test_templates_cost_one_query_for_a_topic_and_none_without_one(
    world: World, onboarding: HelpTopic, django_assert_num_queries: Any
) -> None:
    from helpline.ticket_tasks.topic_templates import tasks_from_templates

    ticket = world.open("Nina starts on Monday", topic=onboarding)
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    created.ticket = ticket
    with django_assert_num_queries(0):
        tasks_from_templates(Event, events=[Event(ticket=ticket, kind=EventKind.NOTE, data={})])
    created.data = {**created.data, "topic": world.topic.pk}  # Printers: no templates
    with django_assert_num_queries(1):
        tasks_from_templates(Event, events=[created])
    created.data = {**created.data, "topic": onboarding.pk}
    with CaptureQueriesContext(connection) as made:
        tasks_from_templates(Event, events=[created])
    # The templates, then one INSERT each of the tasks, their events, the ticket's.
    assert len(made.captured_queries) == 4
