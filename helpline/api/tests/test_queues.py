"""The desk's queues as JSON: GET /api/v1/tickets?queue=... with the page's meaning."""

from __future__ import annotations

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

from .conftest import Api


def numbers(response: object) -> set[str]:
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    return {t["number"] for t in response.json()["items"]}  # type: ignore[attr-defined]


def test_queues_and_the_team_filter_match_the_desk(
    world: World, agent_api: Api, channel: Api
) -> None:
    mine = lifecycle.assign(world.open("Mine"), actor=world.admin, agent=world.agent)
    teamed = lifecycle.assign(world.open("Team"), actor=world.admin, team=world.team)
    waiting = world.open("Waiting")
    late = world.open("Late")
    Ticket.objects.filter(pk=late.pk).update(due_at=late.created_at)
    late = lifecycle.sla_tick(late, now=late.created_at)
    done = lifecycle.close(world.open("Done"), actor=world.admin)

    assert numbers(agent_api.get("/tickets?queue=mine")) == {mine.number}
    assert numbers(channel.get("/tickets?queue=unassigned")) == {waiting.number, late.number}
    assert numbers(channel.get("/tickets?queue=overdue")) == {late.number}
    assert numbers(channel.get("/tickets?queue=closed")) == {done.number}
    assert numbers(channel.get(f"/tickets?team={world.team.pk}")) == {teamed.number}
    narrowed = channel.get(f"/tickets?queue=unassigned&department={world.sales.pk}")
    assert numbers(narrowed) == set()


def test_my_queue_needs_an_agent(channel: Api) -> None:
    response = channel.get("/tickets?queue=mine")

    assert response.status_code == 422 and response.json()["field"] == "queue"


def test_an_unknown_queue_is_a_422_naming_it(channel: Api) -> None:
    response = channel.get("/tickets?queue=everything")

    assert response.status_code == 422 and response.json()["field"] == "queue"
