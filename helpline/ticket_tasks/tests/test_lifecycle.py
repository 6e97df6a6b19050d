"""The tasks' write path: who may do what, the transitions, one event per change,
and the ticket left as it was (its version, its clock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.conftest import World, make_agent
from helpline.ticket_tasks import lifecycle as tasks
from helpline.ticket_tasks.models import Task, TaskEvent, TaskEventKind, TaskNote, TaskState
from helpline.ticket_tasks.permissions import TaskRole, role_for
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import Event, EventKind, Ticket
from helpline.tickets.tests.helpers import fresh


def history(task: Task) -> list[tuple[str, str, str, str, str]]:
    """(kind, actor, field, old, new) of the task's events, in order."""
    return [
        (e.kind, e.actor_name, e.field, e.old_value, e.new_value)
        for e in TaskEvent.objects.filter(task_id=task.pk).order_by("pk")
    ]


def on_ticket(ticket: Ticket) -> list[tuple[str, str, str]]:
    """(actor, title, action) of the task events on the ticket's timeline."""
    return [
        (e.actor_name, e.new_value, e.data["action"])
        for e in Event.objects.filter(ticket=ticket, kind=EventKind.EDITED, field="task")
    ]


@contextmanager
def task_refused(
    task: Task, exc: type[Exception] = Refused, match: str | None = None
) -> Iterator[Any]:
    """The block raises `exc` and leaves the task, its history and notes as they were."""
    before = Task.objects.values().get(pk=task.pk)
    events, notes = TaskEvent.objects.count(), TaskNote.objects.count()
    with pytest.raises(exc, match=match) as info:
        yield info
    assert Task.objects.values().get(pk=task.pk) == before
    assert (TaskEvent.objects.count(), TaskNote.objects.count()) == (events, notes)


# --- adding -------------------------------------------------------------------------------


def test_an_agent_adds_a_task_given_to_a_colleague_and_a_team(world: World, ticket: Ticket) -> None:
    due = timezone.now() + timedelta(days=2)

    task = tasks.add_task(
        ticket,
        actor=world.agent,
        title="  Order   laptop ",
        description="ThinkPad, 16 GB",
        agent=world.supervisor,
        team=world.team,
        due_at=due,
    )

    assert (task.title, task.state, task.version) == ("Order laptop", TaskState.OPEN, 1)
    assert (task.department, task.assignee, task.team) == (
        world.support,
        world.supervisor,
        world.team,
    )
    assert task.due_at == due
    assert task.created_by == world.agent
    assert history(task) == [
        ("created", "Alice Agent", "", "", "Order laptop"),
        ("assigned", "Alice Agent", "agent", "", "Sam Super"),
        ("assigned", "Alice Agent", "team", "", "Level II"),
    ]
    assert on_ticket(ticket) == [("Alice Agent", "Order laptop", "created")]


def test_a_task_leaves_the_tickets_row_alone(world: World, ticket: Ticket) -> None:
    before = Ticket.objects.values("version", "updated_at", "due_at", "status_id").get(pk=ticket.pk)

    task = tasks.add_task(ticket, actor=world.agent, title="Order laptop")
    tasks.finish_task(task, actor=world.agent)

    assert (
        Ticket.objects.values("version", "updated_at", "due_at", "status_id").get(pk=ticket.pk)
        == before
    )


def test_a_task_may_be_another_departments_work(world: World, ticket: Ticket) -> None:
    task = tasks.add_task(ticket, actor=world.agent, title="Quote", department=world.sales)

    assert task.department == world.sales
    # Sales' agent works it, without seeing the Support ticket itself.
    assert role_for(fresh(world.other_agent), task) == TaskRole.WORK


def test_an_agent_of_another_department_may_not_add_a_task(world: World, ticket: Ticket) -> None:
    with pytest.raises(NotAllowed):
        tasks.add_task(ticket, actor=world.other_agent, title="Order laptop")

    assert not Task.objects.exists()


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_task_needs_a_title_of_at_most_200_characters(
    world: World, ticket: Ticket, title: str
) -> None:
    with pytest.raises(Refused):
        tasks.add_task(ticket, actor=world.agent, title=title)

    assert not Task.objects.exists()


def test_a_resolved_ticket_takes_no_new_task(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")

    with pytest.raises(Refused, match="reopen it before adding tasks"):
        tasks.add_task(ticket, actor=world.agent, title="Order laptop")


def test_an_inactive_agent_cannot_be_given_a_task(world: World, ticket: Ticket) -> None:
    gone = make_agent("gus.gone", Role.AGENT, world.support)
    gone.user.is_active = False
    gone.user.save()

    with pytest.raises(Refused, match="inactive"):
        tasks.add_task(ticket, actor=world.agent, title="Order laptop", agent=gone)


def test_a_due_date_out_of_range_is_refused(world: World, ticket: Ticket) -> None:
    with pytest.raises(Refused, match="between 2000-01-01 and 2099-12-31"):
        tasks.add_task(
            ticket,
            actor=world.agent,
            title="Order laptop",
            due_at=timezone.now().replace(year=2150),
        )


# --- finishing and reopening ---------------------------------------------------------------


def test_the_assignee_marks_the_task_done(world: World, task: Task) -> None:
    done = tasks.finish_task(task, actor=world.agent, expected_version=1)

    assert (done.state, done.done_by, done.version) == (TaskState.DONE, world.agent, 2)
    assert done.done_at is not None
    assert history(done)[-1] == ("done", "Alice Agent", "state", "open", "done")
    assert on_ticket(task.ticket)[-1] == ("Alice Agent", "Order laptop", "done")


def test_an_assignee_outside_the_department_works_the_task_but_does_not_manage_it(
    world: World, ticket: Ticket
) -> None:
    task = tasks.add_task(ticket, actor=world.agent, title="Quote", agent=world.other_agent)
    bob = fresh(world.other_agent)

    tasks.add_task_note(task, actor=bob, text="Asked the supplier.")
    with task_refused(task, NotAllowed):
        tasks.edit_task(task, actor=bob, title="Cheaper quote")
    with task_refused(task, NotAllowed):
        tasks.assign_task(task, actor=bob, agent=None, team=None)
    done = tasks.finish_task(task, actor=bob)

    assert done.state == TaskState.DONE
    with pytest.raises(NotAllowed):
        tasks.add_task(ticket, actor=bob, title="Another")


def test_an_agent_with_no_part_in_the_task_may_not_touch_it(world: World, task: Task) -> None:
    bob = fresh(world.other_agent)

    with task_refused(task, NotAllowed):
        tasks.finish_task(task, actor=bob)
    with task_refused(task, NotAllowed):
        tasks.add_task_note(task, actor=bob, text="Hello")


def test_a_done_task_is_not_done_again(world: World, task: Task) -> None:
    task = tasks.finish_task(task, actor=world.agent)

    with task_refused(task, match="already done"):
        tasks.finish_task(task, actor=world.agent)


def test_a_done_task_reopens_while_its_ticket_is_open(world: World, task: Task) -> None:
    task = tasks.finish_task(task, actor=world.agent)

    task = tasks.reopen_task(task, actor=world.supervisor)

    assert (task.state, task.done_at, task.done_by) == (TaskState.OPEN, None, None)
    assert history(task)[-1] == ("reopened", "Sam Super", "state", "done", "open")
    assert [a for _who, _t, a in on_ticket(task.ticket)] == ["created", "done", "reopened"]


def test_a_task_of_a_closed_ticket_does_not_reopen(world: World, task: Task) -> None:
    task = tasks.finish_task(task, actor=world.agent)
    lifecycle.close(task.ticket, actor=world.agent)

    with task_refused(task, match="reopen it before reopening its tasks"):
        tasks.reopen_task(task, actor=world.agent)


def test_a_stale_version_is_a_conflict_that_carries_the_task_as_it_is(
    world: World, task: Task
) -> None:
    tasks.assign_task(task, actor=world.supervisor, agent=world.supervisor, team=None)

    with task_refused(task, tasks.TaskConflict) as info:
        tasks.finish_task(task, actor=world.agent, expected_version=1)

    assert info.value.task.version == 2
    assert info.value.task.assignee == world.supervisor


# --- editing, assigning, notes ----------------------------------------------------------


def test_editing_records_one_event_per_field_changed(world: World, task: Task) -> None:
    due = timezone.now().replace(year=2031, month=3, day=1, hour=9, minute=30)

    task = tasks.edit_task(
        task,
        actor=world.supervisor,
        title="Order a laptop",
        description="ThinkPad",
        department=world.sales,
        due_at=due,
        expected_version=1,
    )

    assert (task.title, task.description, task.department, task.version) == (
        "Order a laptop",
        "ThinkPad",
        world.sales,
        2,
    )
    assert history(task)[-4:] == [
        ("edited", "Sam Super", "title", "Order laptop", "Order a laptop"),
        ("edited", "Sam Super", "description", "", "ThinkPad"),
        ("edited", "Sam Super", "department", "Support", "Sales"),
        ("edited", "Sam Super", "due", "", due.strftime("%Y-%m-%d %H:%M UTC")),
    ]


def test_an_edit_that_changes_nothing_is_refused(world: World, task: Task) -> None:
    with task_refused(task, match="Nothing was changed"):
        tasks.edit_task(task, actor=world.agent, title="Order laptop")


def test_assigning_records_who_had_it(world: World, task: Task) -> None:
    task = tasks.assign_task(task, actor=world.supervisor, agent=None, team=world.team)

    assert (task.assignee, task.team) == (None, world.team)
    assert history(task)[-2:] == [
        ("assigned", "Sam Super", "agent", "Alice Agent", ""),
        ("assigned", "Sam Super", "team", "", "Level II"),
    ]


def test_a_note_joins_the_tasks_thread(world: World, task: Task) -> None:
    note = tasks.add_task_note(task, actor=world.agent, text="  Ordered from Dell.\n")

    assert (note.body, note.author_name, note.agent) == (
        "Ordered from Dell.",
        "Alice Agent",
        world.agent,
    )
    assert history(task)[-1] == ("note", "Alice Agent", "", "", "")
    assert TaskEvent.objects.filter(kind=TaskEventKind.NOTE).get().data == {"note": note.pk}


def test_an_empty_note_is_refused(world: World, task: Task) -> None:
    with task_refused(task, match="The note is empty"):
        tasks.add_task_note(task, actor=world.agent, text=" \n ")
