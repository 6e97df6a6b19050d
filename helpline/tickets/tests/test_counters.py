"""The queue counters stay equal to a count of the tickets, whatever happens to them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoCaptureOnCommitCallbacks

from helpline.accounts.models import Team, User
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import LifecycleError
from helpline.tickets.models import QueueCount, State, Ticket

from .helpers import actual, assert_counters_true, counted, due, last_entry, reload


def test_a_new_ticket_is_counted_open_unassigned_and_not_overdue(world: World) -> None:
    ticket = world.open()

    row = QueueCount.objects.get()
    assert (row.department_id, row.assignee_key, row.team_key) == (world.support.pk, 0, 0)
    assert (row.state, row.is_overdue, row.count) == (State.OPEN, False, 1)
    assert counted() == actual()
    lifecycle.claim(ticket, actor=world.agent)
    assert counted() == {(world.support.pk, world.agent.pk, 0, State.OPEN, False): 1}


def test_a_change_that_keeps_the_bucket_leaves_the_counters_alone(world: World) -> None:
    ticket = world.open()
    before = list(QueueCount.objects.values_list("pk", "count"))

    lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>n</p>")

    assert list(QueueCount.objects.values_list("pk", "count")) == before


def test_every_kind_of_change_keeps_the_counters_true(world: World) -> None:
    sales_ticket = world.open(topic=world.sales_topic)
    ticket = world.open(actor=world.supervisor, assignee=world.agent, team=world.team)
    steps: list[Callable[[], object]] = [
        lambda: lifecycle.release(ticket, actor=world.supervisor, team=True),
        lambda: lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>x</p>"),
        lambda: lifecycle.sla_tick(ticket, now=due(ticket)),
        lambda: lifecycle.transfer(ticket, actor=world.admin, department=world.sales),
        lambda: lifecycle.claim(ticket, actor=world.other_agent),
        lambda: lifecycle.resolve(ticket, actor=world.other_agent, explanation_html="<p>x</p>"),
        lambda: lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>y</p>"),
        lambda: lifecycle.close(ticket, actor=world.admin),
        lambda: lifecycle.reopen(ticket, actor=world.admin),
        lambda: lifecycle.assign(sales_ticket, actor=world.admin, team=world.team),
        lambda: lifecycle.close(sales_ticket, actor=None),
    ]
    for step in steps:
        step()
        assert_counters_true()


def test_rebuilding_the_counters_changes_nothing_when_they_are_true(world: World) -> None:
    world.open()
    lifecycle.claim(world.open(), actor=world.agent)
    lifecycle.close(world.open(topic=world.sales_topic), actor=world.admin)
    before = counted()

    lifecycle.recount_queues()

    assert counted() == before == actual()


def test_rebuilding_the_counters_repairs_them(world: World) -> None:
    ticket = world.open()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=world.agent)  # behind the lifecycle's back
    assert counted() != actual()

    lifecycle.recount_queues()

    assert counted() == actual()


# --- people leaving ---------------------------------------------------------------------


def test_deleting_an_agent_keeps_their_tickets_and_rebuilds_the_counters(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")

    with django_capture_on_commit_callbacks(execute=True):
        world.agent.delete()

    ticket = reload(ticket)
    assert ticket.assignee is None
    assert ticket.entries.count() == 2
    reply = last_entry(ticket)
    assert reply.agent is None
    assert reply.author_name == "Alice Agent"
    assert ticket.events.filter(actor_name="Alice Agent").exists()
    assert counted() == actual()
    assert not QueueCount.objects.filter(assignee_key=world.agent.pk).exclude(count=0).exists()


def test_deleting_an_agents_login_keeps_their_tickets_and_rebuilds_the_counters(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ticket = lifecycle.claim(world.open(), actor=world.agent)

    with django_capture_on_commit_callbacks(execute=True):
        User.objects.filter(pk=world.agent.user_id).delete()

    assert reload(ticket).assignee is None
    assert counted() == actual()


def test_deleting_a_team_keeps_its_tickets_and_rebuilds_the_counters(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, team=world.team)

    with django_capture_on_commit_callbacks(execute=True):
        Team.objects.filter(pk=world.team.pk).delete()

    assert reload(ticket).team is None
    assert counted() == actual()


# --- any sequence of changes ------------------------------------------------------------

OPERATIONS = [
    "open",
    "open_assigned",
    "assign",
    "assign_team",
    "claim",
    "release",
    "release_team",
    "transfer",
    "reply",
    "status",
    "resolve",
    "close",
    "reopen",
    "customer_reply",
    "overdue",
]


def _apply(world: World, tickets: list[Ticket], operation: str, pick: int, option: int) -> None:
    agents = [world.agent, world.supervisor, world.admin, world.other_agent]
    ticket = reload(tickets[pick % len(tickets)])
    department = [world.support, world.sales][option % 2]
    topic = [world.topic, world.sales_topic][option % 2]
    open_statuses = ["Open", "In Progress", "Pending Customer Reply", "On Hold"]
    match operation:
        case "open":
            tickets.append(world.open(topic=topic))
        case "open_assigned":
            tickets.append(
                world.open(actor=world.admin, topic=topic, assignee=world.admin, team=world.team)
            )
        case "assign":
            lifecycle.assign(ticket, actor=world.admin, agent=agents[option % 4])
        case "assign_team":
            lifecycle.assign(ticket, actor=world.admin, team=world.team)
        case "claim":
            lifecycle.claim(ticket, actor=agents[option % 4])
        case "release":
            lifecycle.release(ticket, actor=world.admin)
        case "release_team":
            lifecycle.release(ticket, actor=world.admin, agent=option % 2 == 0, team=True)
        case "transfer":
            lifecycle.transfer(ticket, actor=world.admin, department=department)
        case "reply":
            lifecycle.reply(
                ticket,
                actor=agents[option % 4],
                body_html="<p>r</p>",
                status=world.status(open_statuses[option % 4]),
            )
        case "status":
            lifecycle.change_status(
                ticket, actor=world.supervisor, status=world.status(open_statuses[option % 4])
            )
        case "resolve":
            lifecycle.resolve(ticket, actor=world.admin, explanation_html="<p>d</p>")
        case "close":
            lifecycle.close(ticket, actor=world.admin if option % 2 else None)
        case "reopen":
            lifecycle.reopen(ticket, actor=world.admin)
        case "customer_reply":
            lifecycle.customer_reply(ticket, actor=ticket.customer, body_html="<p>c</p>")
        case "overdue":
            lifecycle.sla_tick(ticket, now=timezone.now() + timedelta(days=1))


class _Undo(Exception):
    """Rolls an example back so the next one starts from the same world."""


STEPS = st.lists(
    st.tuples(
        st.sampled_from(OPERATIONS), st.integers(min_value=0, max_value=7), st.integers(0, 3)
    ),
    min_size=1,
    max_size=15,
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    # No "explain" phase: it reruns the failing example many times over, slowly.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_after_any_sequence_of_changes_the_counters_equal_a_recount(
    world: World, steps: list[tuple[str, int, int]]
) -> None:
    try:
        with transaction.atomic():
            tickets = [world.open(), world.open(topic=world.sales_topic)]
            for operation, pick, option in steps:
                # A refusal may change nothing, which the checks below would see.
                with contextlib.suppress(LifecycleError):
                    _apply(world, tickets, operation, pick, option)
                assert all(q.count >= 0 for q in QueueCount.objects.all()), (operation, steps)
            kept = counted()
            assert kept == actual()
            lifecycle.recount_queues()
            assert counted() == kept
            raise _Undo
    except _Undo:
        pass
