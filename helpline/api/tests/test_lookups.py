"""Lookups: customers by address, help topics with their questions, statuses,
priorities, departments."""

from __future__ import annotations

from helpline.accounts.models import Organization
from helpline.conftest import World
from helpline.tickets.models import HelpTopic, TopicField

from .conftest import Api, make_key


def test_a_customer_is_found_by_address_in_any_case(world: World, channel: Api) -> None:
    acme = Organization.objects.create(name="Acme", domain="example.com")
    world.customer.organization = acme
    world.customer.save()

    response = channel.get("/customers", email="  KEN@EXAMPLE.COM ")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["email"]) == (
        world.customer.pk,
        "Ken Adams",
        "ken@example.com",
    )
    assert body["organization"] == {"id": acme.pk, "name": "Acme"}


def test_an_unknown_customer_is_404(world: World, agent_api: Api) -> None:
    response = agent_api.get("/customers", email="nobody@example.com")

    assert (response.status_code, response.json()["detail"]) == (404, "No such customer.")


def test_the_customer_lookup_needs_an_address(world: World, channel: Api) -> None:
    response = channel.get("/customers")

    assert (response.status_code, response.json()["field"]) == (422, "email")


def test_a_key_that_only_creates_tickets_cannot_look_up_customers(
    world: World, channel: Api
) -> None:
    creator = channel.as_key(make_key(scopes=["tickets:create"]))

    assert creator.get("/customers", email="ken@example.com").status_code == 403


def test_help_topics_list_the_active_ones_with_their_questions(world: World, channel: Api) -> None:
    TopicField.objects.create(
        topic=world.topic,
        key="model",
        label="Printer model",
        kind=TopicField.Kind.CHOICE,
        choices="LaserJet\nInkJet",
        required=True,
    )
    HelpTopic.objects.create(name="Retired", department=world.support, is_active=False)
    creator = channel.as_key(make_key(scopes=["tickets:create"]))

    topics = creator.get("/topics").json()

    assert [t["name"] for t in topics] == ["Pricing", "Printers"]
    printers = topics[1]
    assert printers["department"] == {"id": world.support.pk, "name": "Support"}
    assert printers["priority"]["name"] == "Normal"
    assert printers["fields"] == [
        {
            "key": "model",
            "label": "Printer model",
            "kind": "choice",
            "required": True,
            "choices": ["LaserJet", "InkJet"],
            "help_text": "",
        }
    ]


def test_statuses_priorities_and_departments_are_listed(world: World, agent_api: Api) -> None:
    statuses = agent_api.get("/statuses").json()
    priorities = agent_api.get("/priorities").json()
    departments = agent_api.get("/departments").json()

    assert {"name": "Resolved", "state": "closed", "purpose": "resolved"}.items() <= next(
        s for s in statuses if s["name"] == "Resolved"
    ).items()
    assert [p["name"] for p in priorities] == ["Low", "Normal", "High", "Emergency"]
    assert [d["name"] for d in departments] == ["Sales", "Support"]
