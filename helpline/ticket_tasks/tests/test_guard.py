"""A ticket with open tasks is not resolved or closed, whoever asks: the refusal
names the tasks, and nothing changes. Once they are done, it closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpline.api.tests.conftest import Api, make_token
from helpline.automation.autoclose import close_resolved
from helpline.conftest import World
from helpline.ticket_tasks import lifecycle as tasks
from helpline.ticket_tasks.models import Task, TaskState
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.hooks import closing_guards
from helpline.tickets.models import Ticket
from helpline.tickets.tests.helpers import refused

LAPTOP, ACCOUNT = "Order laptop", "Create account"


@pytest.fixture
def busy(world: World, ticket: Ticket) -> Ticket:
    """`ticket` with two open tasks."""
    tasks.add_task(ticket, actor=world.agent, title=LAPTOP)
    tasks.add_task(ticket, actor=world.agent, title=ACCOUNT)
    return ticket


def open_tasks_of(ticket: Ticket) -> str:
    return f"Ticket #{ticket.number} has open tasks: {LAPTOP}, {ACCOUNT}. Mark them done first."


def finish_all(world: World, ticket: Ticket) -> None:
    for task in Task.objects.filter(ticket=ticket, state=TaskState.OPEN):
        tasks.finish_task(task, actor=world.agent)


def test_the_guard_is_registered_with_the_tickets_core() -> None:
    assert tasks.closing_refusal in closing_guards


def test_resolving_a_ticket_with_open_tasks_is_refused_naming_them(
    world: World, busy: Ticket
) -> None:
    with refused(busy) as info:
        lifecycle.resolve(busy, actor=world.agent, explanation_html="<p>Done.</p>")

    assert info.value.message == open_tasks_of(busy)


def test_closing_a_ticket_with_open_tasks_is_refused_naming_them(
    world: World, busy: Ticket
) -> None:
    with refused(busy) as info:
        lifecycle.close(busy, actor=world.supervisor, reason="Spam")

    assert info.value.message == open_tasks_of(busy)


def test_one_open_task_is_named_in_the_singular(world: World, ticket: Ticket) -> None:
    tasks.add_task(ticket, actor=world.agent, title=LAPTOP)

    with refused(ticket) as info:
        lifecycle.close(ticket, actor=world.agent)

    assert info.value.message == (
        f"Ticket #{ticket.number} has an open task: {LAPTOP}. Mark it done first."
    )


def test_more_than_five_open_tasks_are_counted_after_the_first_five(
    world: World, ticket: Ticket
) -> None:
    for n in range(1, 8):
        tasks.add_task(ticket, actor=world.agent, title=f"Step {n}")

    with refused(ticket) as info:
        lifecycle.close(ticket, actor=world.agent)

    assert info.value.message == (
        f"Ticket #{ticket.number} has open tasks: Step 1, Step 2, Step 3, Step 4, Step 5 "
        "and 2 more. Mark them done first."
    )


def test_done_tasks_do_not_hold_the_ticket(world: World, busy: Ticket) -> None:
    finish_all(world, busy)

    resolved = lifecycle.resolve(busy, actor=world.agent, explanation_html="<p>Done.</p>")
    closed = lifecycle.close(resolved, actor=world.agent)

    assert closed.status.purpose == "closed"


def test_a_task_reopened_holds_the_ticket_again(world: World, busy: Ticket) -> None:
    finish_all(world, busy)
    laptop = Task.objects.get(ticket=busy, title=LAPTOP)
    tasks.reopen_task(laptop, actor=world.agent)

    with refused(busy, match=f"has an open task: {LAPTOP}"):
        lifecycle.close(busy, actor=world.agent)


def test_the_api_is_refused_with_the_tasks_named(
    world: World, client: Client, busy: Ticket
) -> None:
    api = Api(client, make_token(world.agent))

    resolved = api.post(f"/tickets/{busy.number}/resolve", {"explanation": "Fixed."})
    closed = api.post(f"/tickets/{busy.number}/close", {"reason": "Done"})

    for response in (resolved, closed):
        assert 400 <= response.status_code < 500
        assert open_tasks_of(busy) in response.json()["detail"]
    assert Ticket.objects.get(pk=busy.pk).is_open


def test_the_clock_does_not_auto_close_a_resolved_ticket_with_an_open_task(
    world: World, ticket: Ticket
) -> None:
    """A resolved ticket gets no open task through the lifecycle (adding and
    reopening need an open ticket); one left by other means (an import, an old
    row) still holds it: auto-close goes through `close`, and skips it."""
    world.support.auto_close_days = 3
    world.support.save()
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")
    now = timezone.now()
    Task.objects.create(
        ticket=ticket, title=LAPTOP, department=world.support, created_at=now, updated_at=now
    )

    counts = close_resolved(now + timedelta(days=4))

    assert counts == {"closed": 0, "skipped": 1}
    assert Ticket.objects.get(pk=ticket.pk).is_resolved
