"""The people copied on a ticket (Cc), on the portal: its customer sees them,
adds and removes them; they read and answer the ticket there too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World, make_customer
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.thread import MAX_FOLLOWERS_BY_CUSTOMER
from helpline.tickets.links import ticket_token
from helpline.tickets.models import Collaborator, Entry, EntryKind, Event, EventKind

pytestmark = pytest.mark.django_db


def signed_in(user: object) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_customer_adds_someone_who_then_reads_and_answers_the_ticket(world: World) -> None:
    ticket = world.open()
    ken = signed_in(world.customer.user)
    people = reverse("portal:people", args=[ticket.number])
    response = ken.post(people, {"email": "olive@example.org", "name": "ignored"})
    assert response.status_code == 302
    assert Collaborator.objects.filter(ticket=ticket, customer=world.outsider).exists()
    event = Event.objects.get(ticket=ticket, kind=EventKind.COLLABORATOR)
    assert event.customer == world.customer

    olive = signed_in(world.outsider.user)
    page = olive.get(reverse("portal:ticket", args=[ticket.number]))
    assert page.status_code == 200 and "It is really on fire." in page.content.decode()
    # Olive sees who is on it, not their addresses, and changes nobody.
    assert "ken@example.com" not in page.content.decode()
    assert olive.post(people, {"remove": world.outsider.pk}).status_code == 404
    answer = olive.post(reverse("portal:reply", args=[ticket.number]), {"body": "Same here."})
    assert answer.status_code == 302
    entry = Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).latest("id")
    assert entry.customer == world.outsider
    mine = olive.get(reverse("portal:my_tickets")).content.decode()
    assert "Tickets you are copied on" in mine and ticket.subject in mine


def test_the_customer_removes_someone_and_they_lose_the_ticket(world: World) -> None:
    ticket = world.open(collaborators=[world.outsider])
    ken = signed_in(world.customer.user)
    people = reverse("portal:people", args=[ticket.number])
    assert ken.post(people, {"remove": world.outsider.pk}).status_code == 302
    assert not Collaborator.objects.exists()
    assert Event.objects.filter(kind=EventKind.COLLABORATOR_REMOVED).count() == 1
    olive = signed_in(world.outsider.user)
    olive.raise_request_exception = False
    assert olive.get(reverse("portal:ticket", args=[ticket.number])).status_code == 404


def test_a_guest_link_changes_the_people_as_the_customer(world: World) -> None:
    ticket = world.open()
    token = ticket_token(ticket)
    response = Client().post(
        reverse("portal:signed_people", args=[token]), {"email": "carol@example.net"}
    )
    assert response.status_code == 302
    assert Collaborator.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Enter the address of the person to add."),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"email": "ken@example.com"}, "Ken Adams already follows this ticket."),
        ({"remove": "77"}, "That person is not in copy."),
    ],
)
def test_a_refused_change_says_why(world: World, data: dict[str, str], message: str) -> None:
    ticket = world.open()
    ken = signed_in(world.customer.user)
    response = ken.post(reverse("portal:people", args=[ticket.number]), data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_customer_copies_at_most_a_few_people_over_the_ticket_life(world: World) -> None:
    ticket = world.open()
    for n in range(MAX_FOLLOWERS_BY_CUSTOMER):
        person = make_customer(f"P{n}", f"p{n}@example.net")
        ticket = lifecycle.add_collaborator(ticket, actor=world.customer, customer=person)
        ticket = lifecycle.remove_collaborator(ticket, actor=world.customer, customer=person)
    ken = signed_in(world.customer.user)
    response = ken.post(reverse("portal:people", args=[ticket.number]), {"email": "x@example.net"})
    assert response.status_code == 400
    assert "copy at most 10 people on a ticket" in response.content.decode()


def test_the_customer_sees_the_address_typed_never_the_name_we_hold(world: World) -> None:
    ticket = world.open()
    ken = signed_in(world.customer.user)
    response = ken.post(
        reverse("portal:people", args=[ticket.number]), {"email": "olive@example.org"}, follow=True
    )
    page = response.content.decode()
    assert "olive@example.org now gets the replies" in page
    assert "Olive" not in page.replace("olive@example.org", "")


def test_people_in_copy_get_no_rating_card(world: World) -> None:
    ticket = world.open(collaborators=[world.outsider])
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")
    url = reverse("portal:ticket", args=[ticket.number])
    assert "/rate/" in signed_in(world.customer.user).get(url).content.decode()
    olive_page = signed_in(world.outsider.user).get(url).content.decode()
    assert "/rate/" not in olive_page


def test_a_long_address_without_a_name_makes_a_customer_named_by_it(world: World) -> None:
    ticket = world.open()
    address = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example"
    ken = signed_in(world.customer.user)
    response = ken.post(reverse("portal:people", args=[ticket.number]), {"email": address})
    assert response.status_code == 302
    assert Collaborator.objects.get().customer.name == address[:200]


def test_the_portal_does_not_copy_an_agent_and_does_not_say_who_it_is(world: World) -> None:
    ticket = world.open()
    ken = signed_in(world.customer.user)
    response = ken.post(
        reverse("portal:people", args=[ticket.number]), {"email": "alice.agent@example.com"}
    )
    assert response.status_code == 400
    assert "That address cannot be copied on a ticket." in response.content.decode()
    assert not Collaborator.objects.exists()


def test_search_results_show_the_last_update_the_customer_saw(world: World) -> None:
    ticket = world.open("Laptop fan")
    from helpline.search.indexer import index_pending

    index_pending(limit=100_000)
    page = signed_in(world.customer.user).get(reverse("portal:my_tickets"), {"q": "laptop"})
    html = page.content.decode()
    assert ticket.number in html
    cells = html.split(ticket.number, 1)[1].split("</tr>", 1)[0]
    assert cells.count('class="num hide-sm">') == 2 and 'hide-sm"></td>' not in cells
