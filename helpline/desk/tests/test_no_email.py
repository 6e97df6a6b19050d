"""A caller with no email address (issue 13): an agent opens a phone ticket for
them with a name and a phone number; any other source still needs the address.
Each such caller is a customer of their own unless the agent picks one in the
lookup, and the ticket page says that replies stay on the ticket."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from helpline.accounts.customers import create_customer_without_email
from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.desk.tests.test_desk import act, login
from helpline.tickets.models import EntryKind, Source, Ticket

pytestmark = pytest.mark.django_db

NO_EMAIL_NOTE = "This customer has no email address: replies are kept on the ticket, not mailed"


def caller(world: World, **changes: object) -> dict[str, object]:
    """The new-ticket form for a phone caller without an address, with `changes`."""
    return {
        "email": "",
        "name": "Walter Walkin",
        "phone": "555-0123",
        "source": Source.PHONE,
        "topic": world.topic.pk,
        "subject": "Printer jammed",
        "body": "Called from the front desk: paper jam in tray 2.",
        **changes,
    }


def test_a_phone_ticket_needs_no_email_when_a_name_is_given(client: Client, world: World) -> None:
    login(client, world.agent)
    page = client.get(reverse("desk:new_ticket")).content.decode()
    assert "Required, except for a phone call" in page

    response = client.post(reverse("desk:new_ticket"), caller(world))

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Printer jammed")
    assert ticket.source == Source.PHONE
    assert (ticket.customer.name, ticket.customer.email) == ("Walter Walkin", "")
    assert ticket.customer.phone == ticket.contact_phone == "555-0123"
    assert ticket.entries.get().customer == ticket.customer


def test_a_walk_in_needs_no_email_either(client: Client, world: World) -> None:
    login(client, world.agent)
    assert "Walk-in" in client.get(reverse("desk:new_ticket")).content.decode()

    response = client.post(reverse("desk:new_ticket"), caller(world, source=Source.WALK_IN))

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Printer jammed")
    assert ticket.source == Source.WALK_IN and ticket.customer.email == ""
    assert ticket.get_source_display() == "Walk-in"


@pytest.mark.parametrize("source", [Source.EMAIL, Source.OTHER])
def test_any_other_source_refuses_a_ticket_without_email_and_keeps_what_was_typed(
    client: Client, world: World, source: str
) -> None:
    login(client, world.agent)

    response = client.post(reverse("desk:new_ticket"), caller(world, source=source))

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        "Enter the customer's email address: only a ticket taken by phone or from a walk-in "
        "may go without one." in page
    )
    assert 'value="Walter Walkin"' in page and 'value="555-0123"' in page
    assert 'value="Printer jammed"' in page and "paper jam in tray 2" in page
    assert not Ticket.objects.exists() and not Customer.objects.filter(email="").exists()


def test_a_phone_ticket_without_email_still_needs_a_name(client: Client, world: World) -> None:
    login(client, world.agent)

    response = client.post(reverse("desk:new_ticket"), caller(world, name=""))

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Customer.objects.filter(email="").exists()


def test_two_callers_of_the_same_name_without_email_stay_two_customers(
    client: Client, world: World
) -> None:
    login(client, world.agent)
    client.post(reverse("desk:new_ticket"), caller(world, subject="First call"))
    client.post(reverse("desk:new_ticket"), caller(world, subject="Second call"))

    first = Ticket.objects.get(subject="First call").customer
    second = Ticket.objects.get(subject="Second call").customer
    assert first.pk != second.pk
    assert first.name == second.name == "Walter Walkin"


def test_a_caller_picked_in_the_lookup_gets_the_ticket(client: Client, world: World) -> None:
    walter = create_customer_without_email(name="Walter Walkin", phone="")
    login(client, world.agent)
    lookup = client.get(reverse("desk:customer_lookup"), {"lookup": "walkin"}).content.decode()
    assert f'data-customer="{walter.pk}"' in lookup and "no email address" in lookup

    response = client.post(reverse("desk:new_ticket"), caller(world, customer=walter.pk))

    assert response.status_code == 302
    assert Ticket.objects.get().customer == walter
    walter.refresh_from_db()
    assert walter.phone == "555-0123"  # a missing phone is filled in
    assert Customer.objects.filter(email="").count() == 1


def test_a_pick_is_not_reused_for_another_name_or_a_customer_with_an_address(
    client: Client, world: World
) -> None:
    """The agent typed somebody else over the pick, or the id is one of a customer
    with an address (who is found by their address, never by an id sent along)."""
    walter = create_customer_without_email(name="Walter Walkin")
    login(client, world.agent)
    client.post(
        reverse("desk:new_ticket"),
        caller(world, customer=walter.pk, name="Wanda Walkin", subject="Wanda"),
    )
    client.post(
        reverse("desk:new_ticket"),
        caller(world, customer=world.customer.pk, name="Ken Adams", subject="Not Ken"),
    )

    wanda = Ticket.objects.get(subject="Wanda").customer
    not_ken = Ticket.objects.get(subject="Not Ken").customer
    assert wanda not in (walter, world.customer) and wanda.name == "Wanda Walkin"
    assert not_ken != world.customer and not_ken.email == ""


def test_an_address_typed_on_a_phone_ticket_is_used_as_before(client: Client, world: World) -> None:
    walter = create_customer_without_email(name="Ken Adams")
    login(client, world.agent)

    client.post(
        reverse("desk:new_ticket"),
        caller(world, email="KEN@example.com", name="Ken Adams", customer=walter.pk),
    )

    assert Ticket.objects.get().customer == world.customer


def test_a_refused_opening_leaves_no_customer_behind(client: Client, world: World) -> None:
    """Otherwise each try would leave one more customer without an address."""
    login(client, world.other_agent)  # Sales only: the Support topic is refused

    response = client.post(reverse("desk:new_ticket"), caller(world))

    assert response.status_code == 400
    assert b"no access to the Support department" in response.content
    assert not Customer.objects.filter(email="").exists()


def test_the_ticket_page_says_replies_are_not_mailed(client: Client, world: World) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    ticket = world.open(customer=walter, actor=world.agent, source=Source.PHONE)
    login(client, world.agent)

    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()

    assert NO_EMAIL_NOTE in html.unescape(page)
    assert "mailto:" not in page
    assert "None (replies are not mailed)" in page
    # A customer with an address: no such note.
    other = client.get(reverse("desk:ticket", args=[world.open().number])).content.decode()
    assert NO_EMAIL_NOTE not in html.unescape(other)


def test_a_reply_to_a_customer_without_email_is_kept_and_said_not_mailed(
    client: Client, world: World
) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    ticket = world.open(customer=walter, actor=world.agent, source=Source.PHONE)
    login(client, world.agent)

    response = act(client, ticket, "reply", body="Tray 2 is fixed: try again.")

    assert response.status_code == 302
    reply = ticket.entries.get(kind=EntryKind.REPLY)
    assert "Tray 2 is fixed" in reply.body
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [
        "Reply saved on the ticket. The customer has no email address: it was not mailed to them."
    ]


def test_the_customer_panel_lists_exactly_the_callers_own_tickets(
    client: Client, world: World
) -> None:
    """By their id: another caller of the same name is somebody else."""
    walter = create_customer_without_email(name="Walter Walkin")
    namesake = create_customer_without_email(name="Walter Walkin")
    older = world.open("Older", customer=walter, actor=world.agent, source=Source.PHONE)
    world.open("Namesake's", customer=namesake, actor=world.agent, source=Source.PHONE)
    current = world.open("Current", customer=walter, actor=world.agent, source=Source.PHONE)
    login(client, world.agent)

    page = client.get(reverse("desk:ticket", args=[current.number])).content.decode()
    link = re.search(r'<a href="([^"]+)" data-customer-tickets>([^<]+)</a>', page)
    assert link is not None and link.group(2).strip() == "2 in all"
    found = client.get(html.unescape(link.group(1))).content.decode()
    rows = re.findall(r'<tr [^>]*data-ticket="(\d+)"', found)
    assert rows == [current.number, older.number]


def test_the_header_suggestions_link_a_caller_without_email_by_id(
    client: Client, world: World
) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    world.open(customer=walter, actor=world.agent, source=Source.PHONE)
    login(client, world.agent)

    page = client.get(reverse("desk:search_suggest"), {"q": "walkin"}).content.decode()

    assert f"?q=customer%3A%23{walter.pk}" in page and "no email address" in page
    assert "from:" not in page


def test_the_ticket_of_a_customer_with_an_address_keeps_its_reply_message(
    client: Client, world: World
) -> None:
    ticket = world.open()
    login(client, world.agent)
    response = act(client, ticket, "reply", body="On it.")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Reply sent."]


def test_a_german_agent_reads_the_note_and_the_help_in_german(client: Client, world: World) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    ticket = world.open(customer=walter, actor=world.agent, source=Source.PHONE)
    world.agent.language = "de"
    world.agent.save(update_fields=["language"])
    login(client, world.agent)

    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    form = client.get(reverse("desk:new_ticket")).content.decode()

    assert "Dieser Kunde hat keine E-Mail-Adresse" in page
    assert "Erforderlich, außer bei einem Anruf" in form


def test_the_admin_lists_and_adds_customers_without_email(client: Client, world: World) -> None:
    create_customer_without_email(name="Walter Walkin")
    client.force_login(world.admin.user)
    add = reverse("admin:accounts_customer_add")

    listed = client.get(reverse("admin:accounts_customer_changelist"))
    added = client.post(add, {"name": "Walter Walkin", "email": "", "phone": "555-0123"})
    taken = client.post(add, {"name": "Kenny", "email": "KEN@example.com", "phone": ""})

    assert listed.status_code == 200 and "Walter Walkin" in listed.content.decode()
    assert added.status_code == 302
    assert Customer.objects.filter(name="Walter Walkin", email="").count() == 2
    assert taken.status_code == 200  # the address is still one customer's, in any case
    assert not Customer.objects.filter(name="Kenny").exists()
