"""An agent's 404 under /desk/ is the desk's page (menu, search box), and says
"No ticket #N, or it is not in your departments" for a ticket page: the same
page whether the ticket does not exist or is another department's."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from helpline.conftest import World

NO_TICKET = "No ticket #{}, or it is not in your departments."


def _page(client: Client, path: str, **data: str) -> str:
    response = client.get(path, data, follow=True)
    assert response.status_code == 404, path
    assert "no-store" in response["Cache-Control"]
    # The CSRF token (sign-out form, htmx header) is masked anew for each page.
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())


def test_a_missing_ticket_and_another_departments_look_the_same(
    client: Client, world: World
) -> None:
    theirs = world.open(topic=world.sales_topic).number
    missing = str(int(theirs) + 1).zfill(len(theirs))
    client.force_login(world.agent.user)  # Support only

    other = _page(client, f"/desk/tickets/{theirs}/")
    absent = _page(client, f"/desk/tickets/{missing}/")

    assert NO_TICKET.format(theirs) in other
    assert 'aria-label="Desk"' in other and 'action="/desk/search/"' in other  # menu, search
    assert "could not find that page" not in other  # not the portal's page
    assert other.replace(theirs, "N") == absent.replace(missing, "N")


def test_a_number_with_letters_gets_the_desk_page_and_the_old_jump_box_searches(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)

    assert NO_TICKET.format("abc") in _page(client, "/desk/tickets/abc/")
    # /desk/go/ (bookmarks of the old "Ticket #" box) is the search now: a number
    # the agent cannot open is a search that finds nothing, not a 404.
    jumped = client.get("/desk/go/", {"number": "999999"}, follow=True)
    assert jumped.status_code == 200
    assert "No ticket you can see matches this search." in jumped.content.decode()
    escaped = _page(client, "/desk/tickets/a-b_c/")
    assert NO_TICKET.format("a-b_c") in escaped


def test_other_desk_addresses_get_the_general_desk_text(client: Client, world: World) -> None:
    client.force_login(world.agent.user)

    html = _page(client, "/desk/no-such-page/")

    assert "There is no such page on the desk." in html
    assert "No ticket" not in html and 'aria-label="Desk"' in html
    assert 'href="/desk/"' in html


def test_visitors_and_customers_are_answered_as_before(client: Client, world: World) -> None:
    response = client.get("/desk/tickets/999999/")
    assert response.status_code == 302 and response["Location"].startswith("/desk/login/")

    assert "could not find that page" in _page(client, "/desk/no-such-page/")
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    html = _page(client, "/desk/no-such-page/")
    assert "could not find that page" in html and 'aria-label="Desk"' not in html


def test_desk_404_headers_same_for_missing_and_other_department(
    client: Client, world: World
) -> None:
    """Review: nothing in the answer, headers and length included, tells another
    department's ticket from a missing one (per-request tokens and nonces aside)."""
    theirs = world.open(topic=world.sales_topic).number
    missing = "9" * len(theirs)
    client.force_login(world.agent.user)
    client.get("/desk/")  # the CSRF cookie is set by the first page, not by these

    def seen(number: str) -> tuple[int, dict[str, str], str]:
        response = client.get(f"/desk/tickets/{number}/")
        headers = {
            k: re.sub(r"nonce-[^']+", "nonce", v)
            for k, v in response.headers.items()
            if k not in {"Content-Length", "Set-Cookie", "Expires", "Date"}  # per request
        }
        body = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())
        body = re.sub(r'nonce="[^"]+"', "nonce", body).replace(number, "N")
        return response.status_code, headers, body

    assert seen(theirs) == seen(missing)
    assert seen(theirs)[0] == 404


@pytest.mark.parametrize(("typed", "language"), [("abc", "en"), ("#12a", "de")])
def test_letters_in_the_old_jump_box_are_searched(
    client: Client, world: World, typed: str, language: str
) -> None:
    """Not a silent landing on the Open list (a new user's trial): the old box's
    address searches what was typed, and the search box keeps it."""
    client.force_login(world.agent.user)

    response = client.get(
        "/desk/go/", {"number": typed}, follow=True, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert f'value="{typed}"' in response.content.decode()
    empty = client.get("/desk/go/", {"number": ""}, follow=True)
    assert empty.redirect_chain[-1][0] == "/desk/"
