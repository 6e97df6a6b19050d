"""Mail held for review on the desk's ticket page: shown with its reasons, accepted
or dismissed with one button, only by agents who may answer the customer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.conftest import World
from helpline.desk.tests.test_desk import act, login
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, EventKind, HeldReply, Ticket

pytestmark = pytest.mark.django_db


def held_mail(ticket: Ticket, world: World, **kwargs: object) -> HeldReply:
    values: dict[str, object] = {
        "sender_name": "Ken Adams",
        "sender_email": "ken@example.com",
        "customer": world.customer,
        "body_html": "<p>Please refund me.</p>",
        "reasons": [HeldReply.Reason.NO_TOKEN, HeldReply.Reason.AUTH_FAILED],
        "detail": "Authentication-Results of mx.helpline.test: dmarc=fail.",
        **kwargs,
    }
    return lifecycle.hold_reply(ticket, **values)  # type: ignore[arg-type]


def resolved(world: World) -> Ticket:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")


def page(client: Client, ticket: Ticket) -> str:
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_ticket_page_shows_a_held_mail_with_its_reasons_and_both_buttons(
    client: Client, world: World
) -> None:
    ticket = resolved(world)
    held = held_mail(ticket, world)

    html = page(login(client, world.agent), ticket)

    assert 'id="held-banner"' in html and f'href="#held-{held.pk}"' in html
    assert "Held for review" in html and "ken@example.com" in html
    assert "does not answer mail we sent to a person" in html and "failed authentication" in html
    assert "dmarc=fail" in html
    assert "Accept as the sender's message" in html and ">Dismiss</button>" in html
    assert "held a mail claiming to be from" in html  # the timeline


def test_accepting_on_the_desk_posts_the_reply_and_reopens_the_ticket(
    client: Client, world: World
) -> None:
    ticket = resolved(world)
    held = held_mail(ticket, world)
    login(client, world.agent)

    response = act(client, Ticket.objects.get(pk=ticket.pk), "accept_held", held=held.pk)

    assert response.status_code == 302
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.is_open and fresh.reopen_count == 1
    assert fresh.entries.latest("pk").kind == EntryKind.MESSAGE
    html = page(client, fresh)
    assert "Accepted as the sender&#x27;s message." in html
    assert 'id="held-banner"' not in html and "Decided by Alice" in html
    assert "accepted the held mail from ken@example.com" in html


def test_dismissing_on_the_desk_changes_nothing_else(client: Client, world: World) -> None:
    ticket = resolved(world)
    held = held_mail(ticket, world)
    login(client, world.agent)

    response = act(client, Ticket.objects.get(pk=ticket.pk), "dismiss_held", held=held.pk)

    assert response.status_code == 302
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert not fresh.is_open and fresh.reopen_count == 0
    held.refresh_from_db()
    assert held.state == HeldReply.State.DISMISSED
    assert fresh.events.filter(kind=EventKind.HELD_DISMISSED, agent=world.agent).exists()
    assert "dismissed the held mail" in page(client, fresh)


def test_a_held_mail_of_another_ticket_cannot_be_decided_through_this_one(
    client: Client, world: World
) -> None:
    mine = world.open()
    elsewhere = held_mail(world.open("Other"), world)
    login(client, world.agent)

    response = act(client, mine, "accept_held", held=elsewhere.pk)

    assert response.status_code == 400
    assert "not on this ticket" in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.is_waiting


@pytest.mark.parametrize("held", ["", "x", "0", "99999999999999999999"])
def test_a_bad_held_id_is_a_400(client: Client, world: World, held: str) -> None:
    ticket = world.open()
    held_mail(ticket, world)
    login(client, world.agent)

    assert act(client, ticket, "dismiss_held", held=held).status_code == 400


def test_an_agent_of_another_department_gets_404(client: Client, world: World) -> None:
    ticket = world.open()
    held = held_mail(ticket, world)
    login(client, world.other_agent)

    assert act(client, ticket, "accept_held", held=held.pk).status_code == 404
    assert act(client, ticket, "dismiss_held", held=held.pk).status_code == 404
    held.refresh_from_db()
    assert held.is_waiting


def test_deciding_twice_says_it_was_already_decided(client: Client, world: World) -> None:
    ticket = world.open()
    held = held_mail(ticket, world)
    login(client, world.agent)
    act(client, ticket, "dismiss_held", held=held.pk)

    response = act(client, Ticket.objects.get(pk=ticket.pk), "accept_held", held=held.pk)

    assert response.status_code == 400
    assert "already accepted or dismissed" in response.content.decode()


def test_deciding_needs_post(client: Client, world: World) -> None:
    ticket = world.open()
    login(client, world.agent)
    url = reverse("desk:action", args=[ticket.number, "accept_held"])
    assert client.get(url).status_code == 405


def test_the_ticket_page_query_count_does_not_grow_with_held_mail(
    client: Client, world: World, django_assert_num_queries
) -> None:
    ticket = world.open()
    held_mail(ticket, world)
    login(client, world.admin)
    url = reverse("desk:ticket", args=[ticket.number])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for _ in range(5):
        held_mail(ticket, world)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)
