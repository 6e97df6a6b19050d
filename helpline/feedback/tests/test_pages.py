"""Ratings on the portal's and the desk's ticket pages."""

from __future__ import annotations

import re

from django.test import Client

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.links import event_from_rating_token, ticket_token
from helpline.tickets.models import Rating

from .conftest import resolved


def portal(client: Client, world: World, number: str) -> str:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    response = client.get(f"/tickets/{number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_portal_invites_a_rating_of_a_resolved_ticket(client: Client, world: World) -> None:
    ticket, resolution = resolved(world)

    html = portal(client, world, ticket.number)

    assert 'data-testid="rate-card"' in html
    assert "How did we do?" in html
    action = re.search(r'action="/rate/([^/"]+)/"', html)
    assert action is not None and event_from_rating_token(action.group(1)) == resolution
    assert f'name="next" value="/tickets/{ticket.number}/"' in html


def test_the_card_through_a_signed_link_comes_back_to_that_link(
    client: Client, world: World
) -> None:
    ticket, _ = resolved(world)
    token = ticket_token(ticket)

    html = client.get(f"/t/{token}/").content.decode()

    assert f'name="next" value="/t/{token}/"' in html


def test_rating_from_the_portal_card_shows_the_rating_on_the_page(
    client: Client, world: World
) -> None:
    ticket, resolution = resolved(world)
    html = portal(client, world, ticket.number)
    action = html.split('data-testid="rate-card"')[0].rsplit('action="', 1)[1].split('"')[0]

    response = client.post(
        action, {"score": "good", "comment": "Thanks!", "next": f"/tickets/{ticket.number}/"}
    )
    page = client.get(response["Location"]).content.decode()

    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert "Thank you for rating our answer." in page
    assert 'data-testid="rate-card"' not in page
    assert 'data-testid="rating"' in page and 'data-score="good"' in page
    assert "Thanks!" in page
    assert Rating.objects.get().resolution == resolution


def test_the_card_sits_below_the_reply_box_and_says_its_comment_is_no_reply(
    client: Client, world: World
) -> None:
    """Once above the reply box, where customers typed their reply into the
    rating's comment."""
    ticket, _ = resolved(world)
    html = portal(client, world, ticket.number)
    assert 0 < html.index('id="reply"') < html.index('data-testid="rate-card"')
    card = html.split('data-testid="rate-card"', 1)[1].split("</form>", 1)[0]
    assert "to write about your request, use Reply above" in card
    assert 'name="body"' not in card


def test_no_invitation_on_an_open_ticket(client: Client, world: World) -> None:
    ticket = world.open()
    html = portal(client, world, ticket.number)
    assert "How did we do?" not in html

    ticket, _ = resolved(world, "Reopened one")
    lifecycle.reopen(ticket, actor=world.agent)
    assert "How did we do?" not in portal(client, world, ticket.number)


def test_a_closed_ticket_invites_a_rating_of_its_answer(client: Client, world: World) -> None:
    ticket, _ = resolved(world)
    lifecycle.close(ticket, actor=world.agent)

    assert 'data-testid="rate-card"' in portal(client, world, ticket.number)


def test_the_desk_shows_the_rating_in_details_and_the_timeline(
    client: Client, world: World
) -> None:
    ticket, resolution = resolved(world)
    lifecycle.rate(
        ticket,
        customer=world.customer,
        resolution_event_id=resolution.pk,
        score="bad",
        comment="It is still <b>smoking</b>.",
    )
    client.force_login(world.agent.user)

    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    details = html.split('id="details-title"')[1].split("</section>")[0]
    assert "<dt>Rating</dt>" in details
    assert 'class="badge badge-overdue" data-score="bad">Bad</span>' in details
    assert "It is still &lt;b&gt;smoking&lt;/b&gt;." in details
    timeline = html.split('data-testid="timeline"')[1]
    rated = timeline.split('data-kind="rated"')[1].split("</li>")[0]
    text = " ".join(rated.split())
    assert "<strong>Ken Adams</strong> rated the answer <strong>Bad</strong>" in text
    # The customer's words: shown as typed, not in the page's language.
    assert '— <span translate="no">It is still &lt;b&gt;smoking&lt;/b&gt;.</span>' in text


def test_the_desk_page_of_an_unrated_ticket_shows_no_rating(client: Client, world: World) -> None:
    ticket, _ = resolved(world)
    client.force_login(world.agent.user)

    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "<dt>Rating</dt>" not in html
