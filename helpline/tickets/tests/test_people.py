"""Correcting a ticket's customer (lifecycle.people.edit_customer): their name,
phone and organization, and an address for a caller who had none. One event per
field changed, on the ticket it was done from; the search index marks their
tickets."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.accounts.customers import create_customer_without_email
from helpline.accounts.models import Customer, Organization
from helpline.conftest import World, make_customer
from helpline.search.models import Pending
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Conflict, NotAllowed, Refused
from helpline.tickets.models import EventKind, Source, State, Ticket

from .helpers import Watch, event, refused


def ken(**changes: Any) -> dict[str, Any]:
    """Ken's details as they are, with `changes`: the keyword arguments of
    edit_customer."""
    return {"name": "Ken Adams", "phone": "", "organization": None, **changes}


def caller(world: World) -> Ticket:
    """A phone ticket of a caller without an address."""
    walter = create_customer_without_email(name="Walter Walkin", phone="555-0100")
    return world.open("Printer jammed", customer=walter, actor=world.agent, source=Source.PHONE)


def test_an_agent_corrects_the_customers_name_phone_and_organization(
    world: World, ticket: Ticket
) -> None:
    acme = Organization.objects.create(name="Acme")
    watch = Watch(ticket)

    ticket = lifecycle.edit_customer(
        ticket,
        actor=world.agent,
        **ken(name="  Ken   Adams-Smith ", phone=" +1  555 0100 ", organization=acme),
    )

    stored = Customer.objects.get(pk=world.customer.pk)
    assert (stored.name, stored.phone, stored.organization) == (
        "Ken Adams-Smith",
        "+1 555 0100",
        acme,
    )
    assert stored.email == "ken@example.com"  # an address is never changed here
    assert watch.events() == [
        event(
            EventKind.EDITED,
            world.agent,
            field="customer_name",
            old="Ken Adams",
            new="Ken Adams-Smith",
        ),
        event(EventKind.EDITED, world.agent, field="customer_phone", new="+1 555 0100"),
        event(EventKind.EDITED, world.agent, field="customer_organization", new="Acme"),
    ]
    watch.assert_bumped(ticket)
    assert ticket.customer.name == "Ken Adams-Smith"


def test_the_customers_other_tickets_are_marked_for_the_search_index(
    world: World, ticket: Ticket
) -> None:
    other = world.open("Scanner too")
    Pending.objects.all().delete()

    lifecycle.edit_customer(ticket, actor=world.agent, **ken(name="Kenneth Adams"))

    assert set(Pending.objects.values_list("ticket_id", flat=True)) == {ticket.pk, other.pk}


def test_a_caller_without_an_address_is_given_one(world: World) -> None:
    ticket = caller(world)
    watch = Watch(ticket)

    ticket = lifecycle.edit_customer(
        ticket,
        actor=world.agent,
        name="Walter Walkin",
        phone="555-0100",
        organization=None,
        email="Walter@Example.COM",
    )

    assert Customer.objects.get(pk=ticket.customer_id).email == "Walter@example.com"
    assert watch.events() == [
        event(EventKind.EDITED, world.agent, field="customer_email", new="Walter@example.com")
    ]


def test_an_address_is_given_only_by_an_agent_who_sees_all_the_callers_tickets(
    world: World,
) -> None:
    """Whoever holds the address would sign in as the caller and get, and answer,
    all their tickets: a Support agent may not open that door to a Sales ticket."""
    ticket = caller(world)
    world.open(
        "Price list",
        customer=ticket.customer,
        topic=world.sales_topic,
        actor=world.admin,
        source=Source.PHONE,
    )

    with refused(ticket, NotAllowed, match="departments you cannot see"):
        lifecycle.edit_customer(
            ticket,
            actor=world.agent,
            name="Walter Walkin",
            phone="555-0100",
            organization=None,
            email="mine@example.com",
        )
    assert Customer.objects.get(pk=ticket.customer_id).email == ""
    # Name and phone stay the Support agent's to correct; the admin may add the address.
    lifecycle.edit_customer(
        ticket,
        actor=world.admin,
        name="Walter Walkin",
        phone="555-0100",
        organization=None,
        email="walter@example.com",
    )
    assert Customer.objects.get(pk=ticket.customer_id).email == "walter@example.com"


@pytest.mark.parametrize("address", ["ken@example.com", "KEN@example.com"])
def test_an_address_another_customer_has_is_refused(world: World, address: str) -> None:
    ticket = caller(world)

    with refused(ticket, Refused, match="Another customer has the address"):
        lifecycle.edit_customer(
            ticket,
            actor=world.agent,
            name="Walter Walkin",
            phone="555-0100",
            organization=None,
            email=address,
        )
    assert Customer.objects.get(pk=ticket.customer_id).email == ""


def test_an_agents_address_is_refused(world: World) -> None:
    ticket = caller(world)

    with refused(ticket, Refused, match="agent's address"):
        lifecycle.edit_customer(
            ticket,
            actor=world.agent,
            name="Walter Walkin",
            phone="555-0100",
            organization=None,
            email="alice.agent@example.com",
        )


def test_an_existing_address_is_not_replaced(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="has an email address already"):
        lifecycle.edit_customer(ticket, actor=world.agent, **ken(email="kenneth@example.com"))
    assert Customer.objects.get(pk=world.customer.pk).email == "ken@example.com"


def test_giving_the_address_they_have_changes_nothing(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="Nothing was changed"):
        lifecycle.edit_customer(ticket, actor=world.agent, **ken(email="KEN@example.com"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"name": "   "}, "name cannot be empty"),
        ({"name": "K" * 201}, "too long"),
        ({"phone": "5" * 41}, "too long"),
    ],
)
def test_a_blank_name_and_overlong_values_are_refused(
    world: World, ticket: Ticket, changes: dict[str, str], match: str
) -> None:
    with refused(ticket, Refused, match=match):
        lifecycle.edit_customer(ticket, actor=world.agent, **ken(**changes))


def test_the_customer_and_an_agent_of_another_department_may_not(
    world: World, ticket: Ticket
) -> None:
    for who in (world.customer, world.other_agent, None):
        with refused(ticket, NotAllowed):
            lifecycle.edit_customer(ticket, actor=who, **ken(name="Somebody else"))
    assert Customer.objects.get(pk=world.customer.pk).name == "Ken Adams"


def test_a_stale_page_is_a_conflict(world: World, ticket: Ticket) -> None:
    version = Ticket.objects.get(pk=ticket.pk).version
    lifecycle.add_note(ticket, actor=world.supervisor, body_html="<p>called him</p>")

    with refused(ticket, Conflict):
        lifecycle.edit_customer(
            ticket, actor=world.agent, expected_version=version, **ken(name="Kenneth")
        )


def test_an_archived_ticket_is_refused(world: World, ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(state=State.ARCHIVED)

    with refused(ticket, Refused, match="Archived"):
        lifecycle.edit_customer(ticket, actor=world.admin, **ken(name="Kenneth"))


def test_the_organization_is_taken_away_again(world: World, ticket: Ticket) -> None:
    acme = Organization.objects.create(name="Acme")
    Customer.objects.filter(pk=world.customer.pk).update(organization=acme)
    watch = Watch(ticket)

    lifecycle.edit_customer(ticket, actor=world.agent, **ken())

    assert Customer.objects.get(pk=world.customer.pk).organization is None
    assert watch.events() == [
        event(EventKind.EDITED, world.agent, field="customer_organization", old="Acme")
    ]


def test_a_second_customer_of_the_same_name_keeps_theirs(world: World, ticket: Ticket) -> None:
    twin = make_customer("Ken Adams", "ken.adams@example.net")

    lifecycle.edit_customer(ticket, actor=world.agent, **ken(phone="555-0199"))

    assert Customer.objects.get(pk=twin.pk).phone == ""
