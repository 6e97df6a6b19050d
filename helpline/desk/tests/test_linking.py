"""Merging, linking and splitting on the desk's ticket page (views.linking)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, EventKind, LinkKind, State, Ticket, TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(world: World) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.agent.user)
    return client


def page(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def text(response: object) -> str:
    """The page's words, without its tags, spaces joined."""
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split()).replace(" .", ".")


def post(client: Client, ticket: Ticket, name: str, **data: object) -> object:
    return client.post(reverse(f"desk:{name}", args=[ticket.number]), data)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- merging ------------------------------------------------------------------------------


def test_the_preview_shows_the_ticket_to_keep_before_anything_changes(
    world: World, alice: Client
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire", customer=world.outsider, actor=world.outsider)
    url = reverse("desk:merge_preview", args=[dup.number])

    fragment = page(alice.get(url, {"into": f" #{keep.number} "}, HTTP_HX_REQUEST="true"))

    assert f"#{keep.number}" in fragment and "Printer on fire" in fragment
    assert "Ken Adams" in fragment
    assert "The customers differ: Olive Outsider will follow" in fragment
    assert f"Merge #{dup.number} into #{keep.number}" in fragment
    assert "<html" not in fragment
    whole = alice.get(url, {"into": keep.number})  # without script: the whole page
    assert whole.status_code == 200 and "<html" in whole.content.decode()
    assert fresh(dup).merged_into_id is None


def test_a_number_the_agent_cannot_see_reads_as_missing(world: World, alice: Client) -> None:
    dup = world.open()
    sales = world.open("Quote", topic=world.sales_topic)
    url = reverse("desk:merge_preview", args=[dup.number])

    hidden = page(alice.get(url, {"into": sales.number}, HTTP_HX_REQUEST="true"))
    missing = page(alice.get(url, {"into": "999999999"}, HTTP_HX_REQUEST="true"))

    assert f"There is no ticket #{sales.number} that you can see." in hidden
    assert "There is no ticket #999999999 that you can see." in missing
    assert "Quote" not in hidden
    response = post(alice, dup, "merge", into=sales.number, version=dup.version)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert f"There is no ticket #{sales.number} that you can see." in page(response)
    assert fresh(dup).merged_into_id is None


def test_merging_leads_to_the_survivor_and_the_old_number_finds_it(
    world: World, alice: Client
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")

    response = post(alice, dup, "merge", into=keep.number, version=dup.version)

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.url == reverse("desk:ticket", args=[keep.number])  # type: ignore[attr-defined]
    assert fresh(dup).merged_into_id == keep.pk
    old = alice.get(reverse("desk:ticket", args=[dup.number]), follow=True)
    assert old.redirect_chain == [(reverse("desk:ticket", args=[keep.number]), 302)]
    shown = text(old)
    assert f"Ticket #{dup.number} was merged into #{keep.number}." in shown
    assert f"from #{dup.number}" in shown
    assert "Undo merge" in shown


def test_the_merged_ticket_itself_shows_where_it_went_and_its_undo(
    world: World, alice: Client
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    response = alice.get(reverse("desk:ticket", args=[dup.number]) + "?merged=show")

    assert f"This ticket was merged into #{keep.number}" in text(response)
    assert "Undo merge" in text(response)
    assert 'name="body"' not in page(response)  # read-only: no reply or note box


def test_the_undo_restores_the_merged_ticket(world: World, alice: Client) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    response = post(alice, dup, "unmerge")

    assert response.url == reverse("desk:ticket", args=[dup.number])  # type: ignore[attr-defined]
    assert fresh(dup).merged_into_id is None and fresh(dup).state == State.OPEN
    assert Entry.objects.filter(ticket=dup).count() == 1


def test_an_undo_after_later_activity_is_refused_with_the_reason(
    world: World, alice: Client
) -> None:
    keep = world.open("Printer on fire")
    dup = world.open("Printer still on fire")
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.add_note(keep, actor=world.supervisor, body_html="<p>Checked.</p>")
    survivor_page = page(alice.get(reverse("desk:ticket", args=[keep.number])))
    assert "Undo merge" not in survivor_page

    response = post(alice, dup, "unmerge")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "can no longer be undone" in page(response)
    assert "Note added, by Sam Super" in page(response)
    assert fresh(dup).merged_into_id == keep.pk


# --- linking ------------------------------------------------------------------------------


def test_linking_a_child_shows_on_both_pages_with_its_state(world: World, alice: Client) -> None:
    outage = world.open("Mail is down")
    report = world.open("I get no mail")

    response = post(alice, report, "link", other=outage.number, kind="child")

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert TicketLink.objects.filter(ticket=outage, other=report, kind=LinkKind.PARENT).exists()
    parent_page = page(alice.get(reverse("desk:ticket", args=[outage.number])))
    assert f"#{report.number}" in parent_page and "I get no mail" in parent_page
    assert "Also resolve its open child tickets with this explanation" in parent_page
    child_page = page(alice.get(reverse("desk:ticket", args=[report.number])))
    assert "made this ticket a child of" in child_page
    assert "Also resolve its open child tickets" not in child_page


def test_a_refused_link_keeps_what_was_typed(world: World, alice: Client) -> None:
    ticket = world.open()

    response = post(alice, ticket, "link", other="#12345678", kind="related")

    assert response.status_code == 400  # type: ignore[attr-defined]
    shown = page(response)
    assert "There is no ticket #12345678 that you can see." in shown
    assert 'value="#12345678"' in shown


def test_unlinking(world: World, alice: Client) -> None:
    a, b = world.open("A"), world.open("B")
    lifecycle.link(a, other=b, kind=LinkKind.RELATED, actor=world.agent)

    response = post(alice, b, "unlink", other=a.number)

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert not TicketLink.objects.exists()


def test_resolving_a_parent_with_its_children_reports_each(world: World, alice: Client) -> None:
    outage = world.open("Mail is down")
    report = world.open("I get no mail")
    sales = world.open("Invoices do not arrive", topic=world.sales_topic)
    for child in (report, sales):
        lifecycle.link(outage, other=child, kind=LinkKind.PARENT, actor=world.admin)
    url = reverse("desk:action", args=[outage.number, "resolve"])

    response = alice.post(
        url,
        {"version": fresh(outage).version, "explanation": "The server is back.", "children": "on"},
        follow=True,
    )

    shown = page(response)
    assert "Ticket resolved." in shown
    assert f"1 child ticket resolved with the same explanation: #{report.number}." in shown
    assert f"1 child ticket was not resolved: #{sales.number}: You are not allowed" in shown
    assert fresh(report).is_resolved and fresh(sales).state == State.OPEN


# --- splitting ------------------------------------------------------------------------------


def test_splitting_a_message_opens_the_new_linked_ticket(world: World, alice: Client) -> None:
    ticket = world.open("Printer on fire")
    lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>And the screen?</p>")
    message = Entry.objects.filter(ticket=ticket).latest("pk")
    shown = page(alice.get(reverse("desk:ticket", args=[ticket.number])))
    assert shown.count("Split into a new ticket</summary>") == 1  # not the first message

    response = post(alice, ticket, "split", entry=message.pk, subject="Screen")

    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.url == reverse("desk:ticket", args=[new.number])  # type: ignore[attr-defined]
    assert new.subject == "Screen"
    assert fresh(ticket).events.filter(kind=EventKind.SPLIT).exists()


def test_a_message_of_another_ticket_is_not_split(world: World, alice: Client) -> None:
    ticket, other = world.open("One"), world.open("Two")
    lifecycle.customer_reply(other, actor=world.customer, body_html="<p>More.</p>")
    message = Entry.objects.filter(ticket=other).latest("pk")

    response = post(alice, ticket, "split", entry=message.pk)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "That message is not on this ticket." in page(response)
    assert Ticket.objects.count() == 2
