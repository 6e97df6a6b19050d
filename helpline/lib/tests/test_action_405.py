"""A ticket action's address opened with GET (a reply's page reloaded, the address
taken from the history) answers the 405 page with a way back to that ticket, not
only to the home page (issue 13's trial: the "changed meanwhile" page's reload
sent the agent to the desk's home). The address bar itself no longer shows the
action's address after such a page: test_ticket_page_edges_browser.py."""

from __future__ import annotations

import pytest
from django.test import Client

from helpline.conftest import World
from helpline.lib.landing import ticket_page


@pytest.mark.parametrize("action", ["reply", "note", "customer", "nope"])
def test_a_desk_ticket_action_opened_with_get_links_to_its_ticket(
    client: Client, world: World, action: str
) -> None:
    ticket = world.open()
    client.force_login(world.agent.user)

    response = client.get(f"/desk/tickets/{ticket.number}/{action}/")

    assert response.status_code == 405 and response["Allow"] == "POST"
    html = response.content.decode()
    assert f'href="/desk/tickets/{ticket.number}/"' in html
    assert f"Open ticket #{ticket.number}" in html
    assert 'href="/desk/"' in html  # the desk's home stays a way out


def test_the_portals_reply_address_links_to_the_customers_ticket(
    client: Client, world: World
) -> None:
    ticket = world.open()
    assert world.customer.user is not None
    client.force_login(world.customer.user)

    response = client.get(f"/tickets/{ticket.number}/reply/")

    assert response.status_code == 405
    assert f'href="/tickets/{ticket.number}/"' in response.content.decode()


def test_a_form_address_of_no_ticket_offers_the_home_page_only(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)

    html = client.get("/desk/two-factor/start/").content.decode()

    assert "Open ticket" not in html and 'href="/desk/"' in html


def test_the_link_is_made_from_the_address_alone() -> None:
    """No query: the page of another department's ticket answers that agent 404."""
    assert ticket_page("/desk/tickets/123456/reply/") == ("/desk/tickets/123456/", "123456")
    assert ticket_page("/desk/tickets/123456/") == ("/desk/tickets/123456/", "123456")
    assert ticket_page("/desk/two-factor/start/") is None
    assert ticket_page("/no/such/page/") is None
