"""A merged ticket's number through the API: it answers the ticket it was merged into."""

from __future__ import annotations

from helpline.accounts.models import Role
from helpline.conftest import World, make_agent
from helpline.tickets import lifecycle

from .conftest import Api, make_token


def test_the_merged_number_answers_the_survivor(world: World, agent_api: Api) -> None:
    keep, dup = world.open("Printer on fire"), world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    response = agent_api.get(f"/tickets/{dup.number}")

    assert response.status_code == 200
    assert response.json()["number"] == keep.number
    assert response["Content-Location"] == f"/api/v1/tickets/{keep.number}"
    thread = agent_api.get(f"/tickets/{keep.number}/thread").json()
    assert len(thread) == 2


def test_a_caller_who_may_not_read_the_survivor_gets_the_merged_ticket_itself(
    world: World, client: object
) -> None:
    sales_ticket = world.open("Quote", topic=world.sales_topic)
    support_ticket = world.open("Printer on fire")
    lifecycle.merge(sales_ticket, into=support_ticket, actor=world.admin)
    sales_only = Api(client, make_token(make_agent("sid.sales", Role.AGENT, world.sales)))  # type: ignore[arg-type]

    response = sales_only.get(f"/tickets/{sales_ticket.number}")

    assert response.status_code == 200
    assert response.json()["number"] == sales_ticket.number
    assert response.json()["state"] == "closed"
    assert "Content-Location" not in response
