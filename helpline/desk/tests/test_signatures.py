"""Signatures below replies: the agent's own or the department's, filled into the
reply box, changed or emptied there, sent as they stand; the mail adds none of
its own to a reply signed in the box."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.notify.models import OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world: World) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.agent.user)
    return client


def page(client: Client, ticket: Ticket) -> str:
    return client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()


def send(client: Client, ticket: Ticket, body: str, signature: str) -> None:
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, "reply"])
    data = {"body": body, "version": ticket.version, "signature": signature}
    assert client.post(url, data).status_code == 302


def test_the_box_offers_the_agent_own_signature_first_then_the_department(
    world: World, alice: Client
) -> None:
    ticket = world.open()
    world.support.signature = "The Support team"
    world.support.save()
    html = page(alice, ticket)
    assert "The Support team</textarea>" in html
    world.agent.signature = "Alice, Support"
    world.agent.save()
    html = page(alice, ticket)
    assert "Alice, Support</textarea>" in html
    assert 'data-text="The Support team"' in html and "No signature" in html


def test_the_signature_as_it_stands_in_the_box_is_sent_once(world: World, alice: Client) -> None:
    world.agent.signature = "Alice"
    world.agent.save()
    ticket = world.open()
    send(alice, ticket, "Unplug it.", "Alice\nSupport, ext. 42")
    reply = Entry.objects.get(ticket=ticket, kind="reply")
    assert reply.body == "<p>Unplug it.</p><p>Alice<br>Support, ext. 42</p>"
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind="reply")
    assert mail.text.count("ext. 42") == 1
    assert "\nAlice\n" not in mail.text.split("ext. 42")[1]  # no second signature
    # Nor the agent's name below their own signature (the trial: "John Doe" twice).
    assert world.agent.name not in mail.text and world.agent.name not in mail.html


def test_an_emptied_signature_sends_none(world: World, alice: Client) -> None:
    world.agent.signature = "Alice"
    world.agent.save()
    ticket = world.open()
    send(alice, ticket, "Unplug it.", "")
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind="reply")
    assert "Alice" not in mail.text  # neither a signature nor a name: as chosen


def test_a_reply_from_the_api_still_gets_the_agent_signature_by_mail(world: World) -> None:
    world.agent.signature = "Alice, Support"
    world.agent.save()
    lifecycle.reply(world.open(), actor=world.agent, body_html="<p>Unplug it.</p>")
    fan_out_pending()
    assert "Alice, Support" in OutboundMessage.objects.get(kind="reply").text


def test_agents_keep_their_signature_on_their_profile(world: World, alice: Client) -> None:
    response = alice.post(reverse("desk:profile"), {"language": "", "signature": "Alice\nSupport"})
    assert response.status_code == 302
    world.agent.refresh_from_db()
    assert world.agent.signature == "Alice\r\nSupport" or world.agent.signature == "Alice\nSupport"
