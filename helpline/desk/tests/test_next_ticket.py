"""The queue's "Next ticket": the unassigned ticket due soonest, claimed in one step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.tests.threads import race
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, Ticket
from helpline.tickets.queues import queue_page


def due_in(ticket: Ticket, hours: int) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() + timedelta(hours=hours))
    return Ticket.objects.get(pk=ticket.pk)


def press(client: Client, agent: Agent) -> str:
    client.force_login(agent.user)
    answer = client.post(reverse("desk:next_ticket"), {"take": "1"})
    assert answer.status_code == 302
    return str(answer["Location"])


def test_the_agent_gets_the_unassigned_ticket_due_soonest(client: Client, world: World) -> None:
    later, soonest, taken = world.open("Later"), world.open("Soonest"), world.open("Taken")
    due_in(later, 8)
    due_in(soonest, 1)
    lifecycle.assign(due_in(taken, 0), actor=world.admin, agent=world.supervisor)

    location = press(client, world.agent)

    assert location == reverse("desk:ticket", args=[soonest.number])
    assert Ticket.objects.get(pk=soonest.pk).assignee == world.agent
    assert Event.objects.filter(ticket=soonest, kind=EventKind.ASSIGNED).count() == 1


def test_with_nothing_waiting_the_agent_is_told_so(client: Client, world: World) -> None:
    location = press(client, world.agent)
    assert location == reverse("desk:queue", args=["unassigned"])
    page = client.get(location).content.decode()
    assert "No unassigned ticket is waiting for you." in page


def test_a_ticket_of_a_department_the_agent_cannot_see_is_never_given(
    client: Client, world: World
) -> None:
    due_in(world.open("Sales'", topic=world.sales_topic), 0)
    assert press(client, world.agent) == reverse("desk:queue", args=["unassigned"])


def test_a_post_without_the_buttons_field_gives_nobody_a_ticket(
    client: Client, world: World
) -> None:
    ticket = world.open()
    client.force_login(world.agent.user)
    client.post(reverse("desk:next_ticket"))
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


@pytest.mark.django_db(transaction=True)
def test_two_agents_pressing_at_once_never_get_the_same_ticket(world: World) -> None:
    first, second = world.open("First"), world.open("Second")
    due_in(first, 1)
    due_in(second, 2)
    agents = [
        Agent.objects.select_related("user").get(pk=pk)
        for pk in (world.agent.pk, world.supervisor.pk)
    ]

    # Both read the same candidates before either claims: the race is in the claims,
    # and one of them finds its first candidate claimed at another version.
    pages = [queue_page(agent, "unassigned", {"sort": "due"}, page_size=10) for agent in agents]
    assert all(p is not None and [t.pk for t in p.tickets] == [first.pk, second.pk] for p in pages)

    got = race(
        *(
            lambda a=a, p=p: lifecycle.claim_next(p.tickets, actor=a)
            for a, p in zip(agents, pages, strict=True)
        )
    )

    claimed = [t for t in got if isinstance(t, Ticket)]
    assert len(claimed) == 2, got
    assert {t.pk for t in claimed} == {first.pk, second.pk}
    owners = dict(Ticket.objects.values_list("pk", "assignee"))
    assert {owners[first.pk], owners[second.pk]} == {world.agent.pk, world.supervisor.pk}


def test_when_every_candidate_was_taken_meanwhile_the_agent_is_told_to_press_again(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open()
    monkeypatch.setattr(lifecycle, "claim_next", lambda candidates, *, actor: None)
    location = press(client, world.agent)
    assert "were all taken just now: press again" in client.get(location).content.decode()
