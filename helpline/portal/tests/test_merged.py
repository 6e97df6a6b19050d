"""Merged and linked tickets on the portal (portal.merged)."""

from __future__ import annotations

import html
import re

from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.links import ticket_path
from helpline.tickets.models import Entry, LinkKind, Ticket


def signed_in(client: Client, customer: Customer) -> Client:
    assert customer.user is not None
    client.force_login(customer.user)
    return client


def words(response: object) -> str:
    page = html.unescape(response.content.decode())  # type: ignore[attr-defined]
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def page_of(ticket: Ticket) -> str:
    return reverse("portal:ticket", args=[ticket.number])


def test_the_merged_number_leads_the_customer_to_the_survivor(client: Client, world: World) -> None:
    keep, dup = world.open("Printer on fire"), world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)
    signed_in(client, world.customer)

    response = client.get(page_of(dup), follow=True)

    assert response.redirect_chain == [(page_of(keep), 302)]
    shown = words(response)
    assert f"Ticket #{dup.number} was merged into #{keep.number}" in shown
    assert "Merged into this one" in shown and f"#{dup.number}" in shown


def test_a_signed_link_of_the_merged_ticket_leads_to_the_survivors_signed_link(
    client: Client, world: World
) -> None:
    keep, dup = world.open("Printer on fire"), world.open("Printer still on fire")
    link = ticket_path(dup)
    lifecycle.merge(dup, into=keep, actor=world.agent)

    response = client.get(link)

    assert response.status_code == 302
    assert response.url == ticket_path(Ticket.objects.get(pk=keep.pk))  # type: ignore[attr-defined]


def test_another_customers_merged_ticket_leads_on_only_when_signed_in(
    client: Client, world: World
) -> None:
    # Olive's report was merged into Ken's ticket: she follows it now.
    keep = world.open("Mail is down")
    dup = world.open("No mail", customer=world.outsider, actor=world.outsider)
    link = ticket_path(dup)
    lifecycle.merge(dup, into=keep, actor=world.agent)

    # Her signed link acts as her on her ticket: it never becomes a link as Ken.
    through_link = client.get(link)
    assert through_link.status_code == 200
    assert "was merged into ticket" in words(through_link)
    assert ticket_path(Ticket.objects.get(pk=keep.pk)) not in through_link.content.decode()
    assert 'name="body"' not in through_link.content.decode()  # no reply box

    signed_in(client, world.outsider)
    assert client.get(page_of(dup)).url == page_of(keep)  # type: ignore[attr-defined]


def test_a_customer_who_may_not_read_the_survivor_learns_nothing_of_it(
    client: Client, world: World
) -> None:
    keep = world.open("Mail is down")
    dup = world.open("No mail", customer=world.outsider, actor=world.outsider)
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.remove_collaborator(keep, actor=world.agent, customer=world.outsider)
    signed_in(client, world.outsider)

    response = client.get(page_of(dup))

    assert response.status_code == 200
    assert keep.number not in response.content.decode()
    assert "was merged into another ticket" in words(response)
    assert client.get(page_of(keep)).status_code == 404


def test_a_reply_from_a_page_opened_before_the_merge_goes_to_the_survivor(
    client: Client, world: World
) -> None:
    keep, dup = world.open("Printer on fire"), world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)
    signed_in(client, world.customer)

    response = client.post(
        reverse("portal:reply", args=[dup.number]), {"body": "Any news?"}, follow=True
    )

    assert response.redirect_chain[0] == (page_of(keep), 302)
    assert "your reply was added there" in words(response)
    assert Entry.objects.filter(ticket=keep, body="<p>Any news?</p>").exists()


def test_the_page_lists_the_customers_own_linked_tickets_only(client: Client, world: World) -> None:
    outage = world.open("Mail is down")
    mine = world.open("My mail is gone")
    theirs = world.open("Olive's mail", customer=world.outsider, actor=world.outsider)
    lifecycle.link(outage, other=mine, kind=LinkKind.PARENT, actor=world.agent)
    lifecycle.link(outage, other=theirs, kind=LinkKind.PARENT, actor=world.agent)
    signed_in(client, world.customer)

    shown = words(client.get(page_of(outage)))

    assert f"Includes #{mine.number} My mail is gone" in shown
    assert theirs.number not in shown
    assert f"Part of #{outage.number}" in words(client.get(page_of(mine)))
