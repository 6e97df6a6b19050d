"""A customer searches their own tickets on the portal: the subject and the public
thread, never a note, never another customer's ticket."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.search.tests.helpers import index
from helpline.tickets import lifecycle

pytestmark = pytest.mark.django_db


def results(client: Client, q: str) -> tuple[int, str]:
    response = client.get(reverse("portal:my_tickets"), {"q": q})
    html = response.content.decode()
    start = html.find("<tbody>")
    return response.status_code, html[start : html.find("</tbody>", start)] if start >= 0 else ""


def test_ken_finds_his_ticket_by_a_word_of_a_reply(client: Client, world: World) -> None:
    ticket = world.open("Laptop")
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Please reseat the battery.</p>")
    index()
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    status, body = results(client, "battery")
    assert status == 200
    assert ticket.number in body and "<mark>battery</mark>" in body


def test_ken_never_finds_a_note_nor_olives_tickets(client: Client, world: World) -> None:
    mine = world.open("Laptop")
    lifecycle.add_note(mine, actor=world.agent, body_html="<p>Customer is difficult.</p>")
    olives = world.open(
        "Difficult", customer=world.outsider, actor=world.outsider, body_html="<p>battery</p>"
    )
    index()
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    for q in ("difficult", "battery", olives.number, "-laptop"):
        status, body = results(client, q)
        assert status == 200, q
        assert olives.number not in body and "difficult" not in body.lower(), q
        assert mine.number not in body or q == "-laptop", q


def test_an_agent_filter_is_refused_with_a_reason(client: Client, world: World) -> None:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    response = client.get(reverse("portal:my_tickets"), {"q": "assignee:me"})
    assert response.status_code == 400
    assert "is for agents" in response.content.decode()
    assert 'value="assignee:me"' in response.content.decode()


def test_a_customer_copied_on_a_ticket_finds_it_by_the_start_of_a_word(
    client: Client, world: World
) -> None:
    """The tickets a customer is copied on are theirs to search, as My tickets
    lists them; a word's start finds what the whole word would, and says so."""
    from helpline.conftest import make_customer

    ticket = world.open("Projector", body_html="<p>The projector bulb flickers.</p>")
    mia = make_customer("Mia Follower", "mia@example.org", login=True)
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=mia)
    index()
    assert mia.user is not None
    client.force_login(mia.user)
    status, body = results(client, "flicker")
    assert status == 200 and ticket.number in body
    page = client.get(reverse("portal:my_tickets"), {"q": "projec"}).content.decode()
    assert ticket.number in page and 'id="my-search-prefixed"' in page
