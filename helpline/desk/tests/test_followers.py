"""The people who follow a ticket (Cc) on the desk: shown in the customer panel,
added and removed by the ticket's agents, each change in the timeline."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Customer
from helpline.conftest import World, make_customer
from helpline.tickets import lifecycle
from helpline.tickets.models import Collaborator, Event, EventKind, Ticket

pytestmark = pytest.mark.django_db


def act(client: Client, ticket: Ticket, action: str, **data: object) -> object:
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, action])
    return client.post(url, {"version": ticket.version, **data})


@pytest.fixture
def alice(world: World) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.agent.user)
    return client


def test_an_agent_adds_a_new_address_and_it_becomes_a_customer_who_follows(
    world: World, alice: Client
) -> None:
    ticket = world.open()
    response = act(alice, ticket, "add_person", email="Carol@Example.NET", name="Carol Cc")
    assert response.status_code == 302  # type: ignore[attr-defined]
    carol = Customer.objects.get(email__iexact="carol@example.net")
    assert carol.name == "Carol Cc"
    assert Collaborator.objects.filter(ticket=ticket, customer=carol).exists()
    event = Event.objects.filter(ticket=ticket, kind=EventKind.COLLABORATOR).get()
    assert event.agent == world.agent
    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Carol@example.net" in page
    assert "to the people who follow the ticket" in page


def test_a_known_address_keeps_its_name(world: World, alice: Client) -> None:
    ticket = world.open()
    make_customer("Carol Original", "carol@example.net")
    act(alice, ticket, "add_person", email="carol@example.net", name="Somebody Else")
    assert Customer.objects.get(email="carol@example.net").name == "Carol Original"


def test_adding_the_customer_or_a_follower_again_is_refused_with_the_reason(
    world: World, alice: Client
) -> None:
    ticket = world.open()
    response = act(alice, ticket, "add_person", email="ken@example.com")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Ken Adams already follows this ticket." in response.content.decode()  # type: ignore[attr-defined]
    act(alice, ticket, "add_person", email="carol@example.net")
    again = act(alice, ticket, "add_person", email="carol@example.net")
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert Collaborator.objects.count() == 1


def test_a_malformed_address_is_explained_and_kept(world: World, alice: Client) -> None:
    ticket = world.open()
    response = act(alice, ticket, "add_person", email="not an address")
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Enter a valid email address." in page and 'value="not an address"' in page
    assert not Collaborator.objects.exists()


def test_an_agent_removes_a_follower_and_the_timeline_says_so(world: World, alice: Client) -> None:
    carol = make_customer("Carol Cc", "carol@example.net")
    ticket = world.open(collaborators=[carol])
    response = act(alice, ticket, "remove_person", customer=carol.pk)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert not Collaborator.objects.exists()
    event = Event.objects.filter(ticket=ticket, kind=EventKind.COLLABORATOR_REMOVED).get()
    assert "Carol Cc" in event.old_value
    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "from the people who follow the ticket" in page


def test_removing_somebody_who_does_not_follow_is_refused(world: World, alice: Client) -> None:
    ticket = world.open()
    response = act(alice, ticket, "remove_person", customer=world.outsider.pk)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "That person does not follow this ticket." in response.content.decode()  # type: ignore[attr-defined]


def test_an_agent_of_another_department_cannot_change_the_followers(world: World) -> None:
    ticket = world.open()
    bob = Client()
    bob.force_login(world.other_agent.user)
    assert act(bob, ticket, "add_person", email="x@example.net").status_code == 404  # type: ignore[attr-defined]
    assert not Collaborator.objects.exists()


def test_a_removed_follower_gets_no_more_replies(world: World) -> None:
    from helpline.notify.models import OutboundMessage
    from helpline.notify.tests.helpers import fan_out_pending

    carol = make_customer("Carol Cc", "carol@example.net")
    ticket = world.open(collaborators=[carol])
    ticket = lifecycle.remove_collaborator(ticket, actor=world.agent, customer=carol)
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Only for Ken now.</p>")
    fan_out_pending()
    replies = OutboundMessage.objects.filter(kind="reply")
    assert [m.to for m in replies] == [["Ken Adams <ken@example.com>"]]


def test_only_the_ticket_customer_changes_its_followers_among_customers(world: World) -> None:
    carol = make_customer("Carol Cc", "carol@example.net")
    ticket = world.open(collaborators=[carol])
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.add_collaborator(ticket, actor=carol, customer=world.outsider)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.remove_collaborator(ticket, actor=carol, customer=carol)
    ticket = lifecycle.add_collaborator(ticket, actor=world.customer, customer=world.outsider)
    assert Collaborator.objects.filter(ticket=ticket).count() == 2


def test_an_agent_address_is_not_added_as_a_customer_in_copy(world: World, alice: Client) -> None:
    ticket = world.open()
    response = act(alice, ticket, "add_person", email="SAM.SUPER@example.com")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "That is an agent" in response.content.decode()  # type: ignore[attr-defined]
    assert not Customer.objects.filter(email__iexact="sam.super@example.com").exists()
