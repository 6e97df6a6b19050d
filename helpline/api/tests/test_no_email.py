"""Customers without an email address (callers an agent took on the phone, issue
13) through the REST API: their tickets read with `"email": null`, no address
finds them, and the API itself still opens tickets only for an address."""

from __future__ import annotations

import pytest

from helpline.accounts.customers import create_customer_without_email
from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.tickets.models import Source, Ticket

from .conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def walter_ticket(world: World) -> Ticket:
    walter = create_customer_without_email(name="Walter Walkin", phone="555-0123")
    return world.open(customer=walter, actor=world.agent, source=Source.PHONE)


def test_a_ticket_of_a_customer_without_email_reads_with_a_null_email(
    world: World, channel: Api, walter_ticket: Ticket
) -> None:
    one = channel.get(f"/tickets/{walter_ticket.number}")
    listed = channel.get("/tickets")

    expected = {"id": walter_ticket.customer_id, "name": "Walter Walkin", "email": None}
    assert one.status_code == 200 and one.json()["customer"] == expected
    [item] = [t for t in listed.json()["items"] if t["number"] == walter_ticket.number]
    assert item["customer"] == expected


def test_the_schema_says_the_email_may_be_null(channel: Api) -> None:
    schema = channel.client.get("/api/openapi.json").json()
    email = schema["components"]["schemas"]["CustomerRef"]["properties"]["email"]

    assert {"type": "null"} in email["anyOf"]


def test_no_address_finds_a_customer_without_one(
    world: World, channel: Api, walter_ticket: Ticket
) -> None:
    nobody = channel.get("/customers", email="")
    assert (nobody.status_code, nobody.json()["detail"]) == (404, "No such customer.")
    assert channel.get("/tickets", customer_email="").json()["items"] != []  # no filter
    by_ken = channel.get("/tickets", customer_email="ken@example.com").json()["items"]
    assert walter_ticket.number not in [t["number"] for t in by_ken]


def test_the_api_still_needs_an_address_to_open_a_ticket_even_by_phone(
    world: World, channel: Api
) -> None:
    response = channel.post(
        "/tickets",
        {
            "email": "",
            "name": "Walter Walkin",
            "source": "phone",
            "subject": "Printer jammed",
            "message": "Paper jam.",
            "topic_id": world.topic.pk,
        },
    )

    assert response.status_code == 422, response.content
    assert response.json()["field"] == "email"
    assert not Customer.objects.filter(email="").exists()
