"""Tasks on the desk: the ticket page's card, a task's page and its changes, the
new-task form, "My tasks" and its count; who gets 404; the pinned query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.ticket_tasks import lifecycle as tasks
from helpline.ticket_tasks.models import Task, TaskState
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket


def signed_in(client: Client, agent: Agent) -> Client:
    client.force_login(agent.user)
    client.raise_request_exception = True  # a 500 fails with its traceback
    return client


def action(task: Task, name: str) -> str:
    return reverse("desk:task_action", args=[task.pk, name])


# --- the ticket page ----------------------------------------------------------------------


def test_the_ticket_page_shows_its_tasks_and_a_form_to_add_one(
    client: Client, world: World, task: Task
) -> None:
    page = signed_in(client, world.agent).get(reverse("desk:ticket", args=[task.ticket.number]))

    html = page.content.decode()
    assert 'data-testid="tasks"' in html
    assert "Order laptop" in html
    assert reverse("desk:task", args=[task.pk]) in html
    assert reverse("desk:new_task", args=[task.ticket.number]) in html
    assert "added the task" in html  # the timeline


def test_a_task_added_from_the_card_takes_the_tickets_department(
    client: Client, world: World, ticket: Ticket
) -> None:
    response = signed_in(client, world.agent).post(
        reverse("desk:new_task", args=[ticket.number]), {"title": "Order laptop"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.number])
    task = Task.objects.get()
    assert (task.title, task.department, task.assignee, task.due_at) == (
        "Order laptop",
        world.support,
        None,
        None,
    )


def test_the_whole_new_task_form_gives_it_an_agent_a_team_and_a_due_date(
    client: Client, world: World, ticket: Ticket
) -> None:
    response = signed_in(client, world.agent).post(
        reverse("desk:new_task", args=[ticket.number]),
        {
            "title": "Quote",
            "description": "Two offers",
            "department": world.sales.pk,
            "agent": world.other_agent.pk,
            "team": world.team.pk,
            "due_at": "2031-03-01T09:30",
        },
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.department, task.assignee, task.team) == (
        world.sales,
        world.other_agent,
        world.team,
    )
    assert task.due_at is not None and task.due_at.year == 2031


def test_a_bad_new_task_shows_the_form_again_with_what_was_typed(
    client: Client, world: World, ticket: Ticket
) -> None:
    response = signed_in(client, world.agent).post(
        reverse("desk:new_task", args=[ticket.number]),
        {"title": "x" * 201, "description": "Kept text", "due_at": "9999-01-01T00:00"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Kept text" in html and "x" * 201 in html
    assert "between 2000-01-01 and 2099-12-31" in html
    assert not Task.objects.exists()


def test_closing_on_the_desk_is_refused_naming_the_open_tasks(
    client: Client, world: World, task: Task
) -> None:
    tasks.add_task(task.ticket, actor=world.agent, title="<b>Create</b> account")
    ticket = Ticket.objects.get(pk=task.ticket.pk)

    response = signed_in(client, world.agent).post(
        reverse("desk:action", args=[ticket.number, "close"]),
        {"version": ticket.version, "reason": "All done"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f"Ticket #{ticket.number} has open tasks: Order laptop, &lt;b&gt;Create&lt;/b&gt; account."
        in html
    )
    assert 'value="All done"' in html  # what was typed is kept
    assert Ticket.objects.get(pk=ticket.pk).is_open


def test_the_card_marks_a_task_done_and_the_ticket_then_closes(
    client: Client, world: World, task: Task
) -> None:
    client = signed_in(client, world.agent)

    done = client.post(action(task, "done"), {"version": task.version, "back": "ticket"})
    ticket = Ticket.objects.get(pk=task.ticket.pk)
    closed = client.post(
        reverse("desk:action", args=[ticket.number, "close"]), {"version": ticket.version}
    )

    assert done["Location"] == reverse("desk:ticket", args=[ticket.number])
    assert Task.objects.get().state == TaskState.DONE
    assert closed.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status.purpose == "closed"


# --- who may see what -------------------------------------------------------------------


def test_an_agent_of_another_department_gets_404_for_the_task_and_its_changes(
    client: Client, world: World, task: Task
) -> None:
    client = signed_in(client, world.other_agent)

    assert client.get(reverse("desk:task", args=[task.pk])).status_code == 404
    for name in ("note", "assign", "edit", "done", "reopen"):
        assert client.post(action(task, name), {"version": 1, "text": "x"}).status_code == 404
    assert client.get(reverse("desk:new_task", args=[task.ticket.number])).status_code == 404
    assert (
        client.post(
            reverse("desk:new_task", args=[task.ticket.number]), {"title": "Sneaky"}
        ).status_code
        == 404
    )
    assert "Order laptop" not in client.get(reverse("desk:my_tasks")).content.decode()
    assert Task.objects.get().state == TaskState.OPEN
    assert Task.objects.count() == 1


@pytest.mark.parametrize("pk", ["0", "99999999", "9" * 30])
def test_a_task_that_is_not_there_is_404(client: Client, world: World, pk: str) -> None:
    assert signed_in(client, world.admin).get(f"/desk/tasks/{pk}/").status_code == 404


def test_an_assignee_outside_the_department_sees_the_task_but_not_the_ticket(
    client: Client, world: World, ticket: Ticket
) -> None:
    task = tasks.add_task(ticket, actor=world.agent, title="Quote", agent=world.other_agent)
    client = signed_in(client, world.other_agent)

    page = client.get(reverse("desk:task", args=[task.pk]))
    edited = client.post(action(task, "edit"), {"version": 1, "title": "Mine now"})
    done = client.post(action(task, "done"), {"version": 1})

    assert page.status_code == 200
    assert reverse("desk:ticket", args=[ticket.number]) not in page.content.decode()
    assert edited.status_code == 400
    assert "You are not allowed to do that on this task." in edited.content.decode()
    assert done.status_code == 302
    assert Task.objects.get().title == "Quote"


# --- the task page ------------------------------------------------------------------------


def test_the_task_page_adds_notes_assigns_and_edits(
    client: Client, world: World, task: Task
) -> None:
    client = signed_in(client, world.supervisor)

    noted = client.post(action(task, "note"), {"text": "Ordered from Dell."})
    assigned = client.post(action(task, "assign"), {"version": 1, "team": world.team.pk})
    edited = client.post(
        action(task, "edit"),
        {"version": 2, "title": "Order a laptop", "department": world.support.pk, "due_at": ""},
    )
    page = client.get(reverse("desk:task", args=[task.pk])).content.decode()

    assert [r.status_code for r in (noted, assigned, edited)] == [302, 302, 302]
    assert "Ordered from Dell." in page
    assert "assigned the team" in page and "changed the title from" in page
    task = Task.objects.get()
    assert (task.title, task.assignee, task.team, task.version) == (
        "Order a laptop",
        None,
        world.team,
        3,
    )


def test_a_change_against_an_old_version_shows_the_task_as_it_is_now(
    client: Client, world: World, task: Task
) -> None:
    tasks.assign_task(task, actor=world.supervisor, agent=world.supervisor, team=None)

    response = signed_in(client, world.agent).post(action(task, "done"), {"version": 1})

    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html
    assert "Sam Super" in html
    assert Task.objects.get().state == TaskState.OPEN


def test_a_refused_change_keeps_what_was_typed(client: Client, world: World, task: Task) -> None:
    response = signed_in(client, world.agent).post(
        action(task, "edit"), {"version": 1, "title": "Order laptop", "department": 99999999}
    )

    assert response.status_code == 400
    assert Task.objects.get().department == world.support


def test_an_unknown_action_is_404(client: Client, world: World, task: Task) -> None:
    assert signed_in(client, world.agent).post(action(task, "delete"), {}).status_code == 404


def test_the_task_page_reads_a_pinned_number_of_queries_however_long_its_thread(
    client: Client, world: World, task: Task, django_assert_num_queries: Any
) -> None:
    client = signed_in(client, world.agent)
    url = reverse("desk:task", args=[task.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for n in range(10):
        tasks.add_task_note(task, actor=world.agent, text=f"note {n}")
        tasks.assign_task(task, actor=world.agent, agent=world.agent if n % 2 else None, team=None)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


# --- My tasks -----------------------------------------------------------------------------


def test_my_tasks_lists_the_open_tasks_given_to_me_or_my_teams_soonest_first(
    client: Client, world: World, ticket: Ticket
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.now() + timedelta(hours=2)
    mine = tasks.add_task(ticket, actor=world.agent, title="Mine", agent=world.agent)
    team = tasks.add_task(ticket, actor=world.agent, title="Team's", team=world.team, due_at=soon)
    done = tasks.add_task(ticket, actor=world.agent, title="Finished", agent=world.agent)
    tasks.finish_task(done, actor=world.agent)
    tasks.add_task(ticket, actor=world.agent, title="Sam's", agent=world.supervisor)

    html = signed_in(client, world.agent).get(reverse("desk:my_tasks")).content.decode()

    assert html.index(team.title.replace("'", "&#x27;")) < html.index(mine.title)
    assert "Finished" not in html and "Sam&#x27;s" not in html


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_my_tasks_reads_a_pinned_number_of_queries_however_many_tasks(
    client: Client,
    world: World,
    ticket: Ticket,
    django_assert_num_queries: Any,
    who: str,
) -> None:
    agent: Agent = getattr(world, who)
    client = signed_in(client, agent)
    tasks.add_task(ticket, actor=world.admin, title="First", agent=agent, team=world.team)
    url = reverse("desk:my_tasks")
    # The session, the user, the agent, their teams, the count and the page (with
    # tickets, departments, agents and teams joined); for an agent, their
    # departments (whether each ticket may be opened; an administrator may all).
    expected = 7 if who == "agent" else 6
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    other = world.open("Another ticket")
    for n in range(30):
        tasks.add_task(other, actor=world.admin, title=f"More {n}", agent=agent, team=world.team)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_the_count_beside_my_tasks_counts_my_open_tasks(
    client: Client, world: World, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    client = signed_in(client, world.agent)
    url = reverse("desk:my_tasks_count")
    assert client.get(url).content.decode().strip() == ""

    tasks.add_task(ticket, actor=world.agent, title="One", agent=world.agent)
    tasks.add_task(ticket, actor=world.agent, title="Two", team=world.team)
    # The session, the user, the agent, their teams, the count.
    with django_assert_num_queries(5):
        html = client.get(url).content.decode()

    assert 'aria-label="2 open tasks"' in html and ">2</span>" in html


def test_every_desk_page_links_my_tasks_and_loads_its_count_later(
    client: Client, world: World
) -> None:
    html = signed_in(client, world.agent).get(reverse("desk:dashboard")).content.decode()

    assert reverse("desk:my_tasks") in html
    assert f'hx-get="{reverse("desk:my_tasks_count")}"' in html


def test_the_ticket_page_reads_its_tasks_in_one_query_however_many(
    client: Client, world: World, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    client = signed_in(client, world.admin)
    url = reverse("desk:ticket", args=[ticket.number])
    tasks.add_task(ticket, actor=world.admin, title="First", agent=world.agent)
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for n in range(8):
        task = tasks.add_task(ticket, actor=world.admin, title=f"More {n}", team=world.team)
        if n % 2:
            tasks.finish_task(task, actor=world.admin)
    ticket = lifecycle.add_note(ticket, actor=world.admin, body_html="<p>x</p>")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)
