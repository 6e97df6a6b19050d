"""An agent's "I'm away": automatic assignment and alerts pass them over until
they are back, and colleagues see it."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent, AssignmentMode, available
from helpline.conftest import World
from helpline.notify.outbox import _reachable
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket


def press(client: Client, agent: Agent, **data: str) -> object:
    client.force_login(agent.user)
    return client.post(reverse("desk:away"), data)


def test_an_agent_away_until_a_time_is_back_by_itself_then(client: Client, world: World) -> None:
    until = timezone.localtime() + timedelta(hours=2)
    answer = press(client, world.agent, away="1", until=until.strftime("%Y-%m-%dT%H:%M"))

    assert answer.status_code == 302  # type: ignore[attr-defined]
    agent = Agent.objects.get(pk=world.agent.pk)
    assert agent.is_away and agent.away_until is not None
    assert not Agent.objects.filter(available(), pk=agent.pk).exists()
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert not Agent.objects.get(pk=agent.pk).is_away
        assert Agent.objects.filter(available(), pk=agent.pk).exists()


def test_automatic_assignment_passes_over_an_agent_who_is_away(
    client: Client, world: World
) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()
    until = timezone.localtime() + timedelta(hours=2)
    press(client, world.supervisor, away="1", until=until.strftime("%Y-%m-%dT%H:%M"))

    tickets = [world.open(f"Printer {i}") for i in range(3)]
    with time_machine.travel(timezone.now() + timedelta(hours=3)):  # back by then
        later = [world.open(f"Scanner {i}") for i in range(2)]

    owners = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("assignee")
    assert set(owners) == {(world.agent.pk,)}
    after = Ticket.objects.filter(pk__in=[t.pk for t in later]).values_list("assignee", flat=True)
    assert world.supervisor.pk in set(after)


def test_an_administrators_vacation_still_holds_after_the_away_time_passed(
    world: World,
) -> None:
    past = timezone.now() - timedelta(hours=1)
    Agent.objects.filter(pk=world.agent.pk).update(is_on_vacation=True, away=True, away_until=past)

    assert not Agent.objects.filter(available(), pk=world.agent.pk).exists()
    assert not any(a.pk == world.agent.pk for a in _reachable(Agent.objects.all()))


def test_im_back_leaves_an_administrators_vacation_alone(client: Client, world: World) -> None:
    Agent.objects.filter(pk=world.agent.pk).update(is_on_vacation=True)
    press(client, world.agent, away="0")
    assert Agent.objects.get(pk=world.agent.pk).is_on_vacation


def test_alerts_skip_an_agent_away_and_reach_them_once_back(world: World) -> None:
    until = timezone.now() + timedelta(hours=1)
    Agent.objects.filter(pk=world.agent.pk).update(away=True, away_until=until)

    assert world.agent.pk not in {a.pk for a in _reachable(Agent.objects.all())}
    with time_machine.travel(until + timedelta(minutes=1)):
        assert world.agent.pk in {a.pk for a in _reachable(Agent.objects.all())}


def test_back_again_and_colleagues_see_who_is_away(client: Client, world: World) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.admin, agent=world.agent)
    press(client, world.agent, away="1")
    colleague = Client()
    colleague.force_login(world.supervisor.user)

    page = colleague.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    queue = colleague.get(reverse("desk:dashboard")).content.decode()
    own = client.get(reverse("desk:dashboard")).content.decode()

    assert 'data-testid="assignee-away"' in page and "Alice Agent (away)" in page
    assert "badge-away" in queue
    assert 'data-testid="away-badge"' in own
    press(client, world.agent, away="0")
    assert not Agent.objects.get(pk=world.agent.pk).is_away


def test_a_return_time_in_the_past_is_refused_and_kept(client: Client, world: World) -> None:
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    answer = press(client, world.agent, away="1", until=past)

    assert answer.status_code == 400  # type: ignore[attr-defined]
    body = answer.content.decode()  # type: ignore[attr-defined]
    assert "Choose a time still to come." in body and past in body
    assert not Agent.objects.get(pk=world.agent.pk).is_away


def test_a_garbled_form_is_a_400_not_a_500(client: Client, world: World) -> None:
    for data in ({"away": "maybe"}, {"away": "1", "until": "tomorrow-ish"}, {}):
        assert press(client, world.agent, **data).status_code == 400  # type: ignore[attr-defined]
