"""The customer panel's "Edit details" (desk.views.customer, the ticket action
"customer"): an agent corrects the customer's name, phone and organization, and
gives a caller without an address one; bad input and an address someone else has
are refused with a clear message and what was typed kept; nothing changes then.
The lifecycle's side is tickets/tests/test_people.py."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.customers import create_customer_without_email
from helpline.accounts.models import Customer, Organization
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, Source, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world: World) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.agent.user)
    return client


def edit(client: Client, ticket: Ticket, **data: Any) -> Any:
    ticket.refresh_from_db()
    fields = {"version": ticket.version, "name": "Ken Adams", "phone": "", "organization": ""}
    url = reverse("desk:action", args=[ticket.number, "customer"])
    return client.post(url, {**fields, **data})


def page_of(client: Client, ticket: Ticket) -> str:
    return client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()


def words(page: str) -> str:
    """The page's text, its tags taken out: what the timeline's sentences say
    (its typographic apostrophes as plain ones)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page)).replace("\u2019", "'")


def refused(client: Client, ticket: Ticket, status: int, message: str, **data: Any) -> str:
    """The edit answers `status` with `message` on the ticket page, the edit box
    open with what was typed, and leaves the customer and the ticket as they were."""
    before = Customer.objects.values().get(pk=ticket.customer_id)
    events = Event.objects.filter(ticket=ticket).count()
    response = edit(client, ticket, **data)
    assert response.status_code == status, response.status_code
    page = html.unescape(response.content.decode())
    assert message in page
    assert '<details class="action" id="action-customer" open>' in page
    assert Customer.objects.values().get(pk=ticket.customer_id) == before
    assert Event.objects.filter(ticket=ticket).count() == events
    return page


def test_the_panel_offers_the_edit_with_the_customers_details_filled_in(
    world: World, alice: Client
) -> None:
    acme = Organization.objects.create(name="Acme")
    Customer.objects.filter(pk=world.customer.pk).update(phone="555-0100", organization=acme)
    page = page_of(alice, world.open())

    assert "Edit details" in page
    assert 'id="customer-name"' in page and 'value="Ken Adams"' in page
    assert 'value="555-0100"' in page
    assert f'<option value="{acme.pk}" selected>Acme</option>' in page
    assert 'id="customer-email"' not in page  # Ken has an address: not changed here


def test_an_agent_corrects_the_name_phone_and_organization(world: World, alice: Client) -> None:
    acme = Organization.objects.create(name="Acme")
    ticket = world.open()

    response = edit(
        alice, ticket, name="Ken Adams-Smith", phone="+1 555 0100", organization=acme.pk
    )

    assert response.status_code == 302
    ken = Customer.objects.get(pk=world.customer.pk)
    assert (ken.name, ken.phone, ken.organization) == ("Ken Adams-Smith", "+1 555 0100", acme)
    page = page_of(alice, ticket)
    # The panel shows them, and the timeline says what changed, in sentences.
    assert '<dd translate="no">Acme</dd>' in page
    said = words(page)
    assert "The customer's details were saved." in said
    assert "Alice Agent changed the customer's name from “Ken Adams” to “Ken Adams-Smith”" in said
    assert "Alice Agent set the customer's phone number to +1 555 0100" in said
    assert "Alice Agent set the customer's organization to Acme" in said


def test_a_caller_without_an_address_is_given_one(world: World, alice: Client) -> None:
    walter = create_customer_without_email(name="Walter Walkin", phone="555-0100")
    ticket = world.open("Printer jammed", customer=walter, actor=world.agent, source=Source.PHONE)
    assert 'id="customer-email"' in page_of(alice, ticket)

    response = edit(
        alice, ticket, name="Walter Walkin", phone="555-0100", email="walter@example.com"
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=walter.pk).email == "walter@example.com"
    page = page_of(alice, ticket)
    assert "data-no-email" not in page  # replies are mailed to him now
    assert "gave the customer the email address walter@example.com" in words(page)


def test_an_address_another_customer_has_is_refused_with_what_was_typed(
    world: World, alice: Client
) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    ticket = world.open("Printer jammed", customer=walter, actor=world.agent, source=Source.PHONE)

    page = refused(
        alice,
        ticket,
        400,
        "Another customer has the address KEN@example.com",
        name="Walter W. Walkin",
        phone="555-0177",
        email="KEN@example.com",
    )
    assert 'value="Walter W. Walkin"' in page and 'value="555-0177"' in page
    assert 'value="KEN@example.com"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "K" * 201}, "Ensure this value has at most 200 characters"),
        ({"phone": "5" * 41}, "Ensure this value has at most 40 characters"),
        ({"phone": "call Ken"}, "A phone number has digits."),
        ({"organization": "999999"}, "Select a valid choice."),
        ({"organization": "Acme"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_what_was_typed(
    world: World, alice: Client, data: dict[str, str], message: str
) -> None:
    refused(alice, world.open(), 400, message, **data)


def test_nothing_changed_is_said(world: World, alice: Client) -> None:
    refused(alice, world.open(), 400, "Nothing was changed.")


def test_a_page_opened_before_another_change_is_refused_with_the_ticket_as_it_is(
    world: World, alice: Client
) -> None:
    ticket = world.open()
    ticket.refresh_from_db()
    stale = ticket.version
    lifecycle.add_note(ticket, actor=world.supervisor, body_html="<p>he called</p>")

    refused(alice, ticket, 409, "changed by someone else", name="Kenneth", version=stale)


def test_an_agent_who_cannot_see_the_ticket_gets_no_such_ticket(world: World) -> None:
    bob = Client()
    bob.force_login(world.other_agent.user)  # Sales only

    assert edit(bob, world.open(), name="Somebody").status_code == 404
    assert Customer.objects.get(pk=world.customer.pk).name == "Ken Adams"


def test_it_takes_only_post(world: World, alice: Client) -> None:
    ticket = world.open()
    response = alice.get(reverse("desk:action", args=[ticket.number, "customer"]))
    assert response.status_code == 405
