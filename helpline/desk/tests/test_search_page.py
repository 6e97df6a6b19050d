"""The desk's search page and its suggestions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.conftest import World, make_customer
from helpline.search.tests.helpers import index
from helpline.tickets import lifecycle

pytestmark = pytest.mark.django_db


def page(client: Client, **params: str) -> tuple[int, str]:
    response = client.get(reverse("desk:search"), params)
    return response.status_code, response.content.decode()


def test_it_shows_the_hits_with_their_snippets_and_counts(client: Client, world: World) -> None:
    ticket = world.open("Laptop", body_html="<p>The battery swells after a week.</p>")
    closed = world.open("Old laptop", body_html="<p>Battery again.</p>")
    lifecycle.close(closed, actor=world.agent)
    index()
    client.force_login(world.agent.user)
    status, html = page(client, q="battery")
    assert status == 200
    assert f"#{ticket.number}" in html and f"#{closed.number}" in html
    assert "<mark>battery</mark>" in html.lower()
    assert "2 tickets match: 1 open, 1 closed." in html


def test_a_search_that_cannot_run_says_why_and_keeps_the_text(client: Client, world: World) -> None:
    client.force_login(world.agent.user)
    status, html = page(client, q="printer colour:red")
    assert status == 400
    assert "Unknown filter “colour:”" in html
    assert 'value="printer colour:red"' in html


def test_a_number_no_ticket_has_finds_the_messages_that_mention_it(
    client: Client, world: World
) -> None:
    ticket = world.open("Order", body_html="<p>Our order 55512987 is late.</p>")
    index()
    client.force_login(world.agent.user)
    status, html = page(client, q="55512987")
    assert status == 200
    assert "No ticket you can see has a number that starts with these digits" in html
    assert f"#{ticket.number}" in html and "<mark>55512987</mark>" in html
    assert "Best match" in html  # the orders of a text search


def test_a_whole_number_opens_the_ticket(client: Client, world: World) -> None:
    ticket = world.open()
    client.force_login(world.agent.user)
    response = client.get(reverse("desk:search"), {"q": f"#{ticket.number}"})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.number])


def test_an_agent_finds_nothing_of_a_department_they_cannot_see(
    client: Client, world: World
) -> None:
    secret = world.open("Merger", body_html="<p>Project kestrel is confidential.</p>")
    index()
    client.force_login(world.other_agent.user)  # Sales only; the ticket is Support's
    for typed in ("kestrel", "merger", secret.number, secret.number[:3], "from:ken@example.com"):
        status, html = page(client, q=typed)
        assert status == 200, typed
        # The counts and the table (what was typed is in the box and the links).
        counts = html[
            html.index('id="search-counts"') : html.index("</p>", html.index('id="search-counts"'))
        ]
        results = counts + html[html.index("<tbody") : html.index("</tbody>")]
        assert secret.number not in results and "kestrel" not in results.lower(), typed
        assert "No ticket you can see matches this search." in results, typed
        assert "0 tickets match" in results, typed
    response = client.get(reverse("desk:search_suggest"), {"q": "kestrel"})
    assert secret.number not in response.content.decode()


def test_suggestions_offer_tickets_and_customers_as_the_agent_types(
    client: Client, world: World
) -> None:
    """Customers are suggested when the agent may see a ticket of theirs (the
    suggestion is a search of their tickets): a customer of another department's
    tickets only, or of none, is not named to them."""
    wile = make_customer("Wile Coyote", "wile@acme.example")
    world.open("Rockets", customer=wile, actor=wile)
    sales_only = make_customer("Wile Coyotl", "coyotl@acme.example")
    world.open("Quote", topic=world.sales_topic, customer=sales_only, actor=sales_only)
    make_customer("Wile Coyoto", "coyoto@acme.example")  # no ticket at all
    ticket = world.open("Anvil delivery", body_html="<p>Where is my anvil?</p>")
    index()
    client.force_login(world.agent.user)
    html = client.get(reverse("desk:search_suggest"), {"q": "anv"}).content.decode()
    assert f"#{ticket.number}" in html
    html = client.get(reverse("desk:search_suggest"), {"q": "coyo"}).content.decode()
    assert "Wile Coyote" in html and "from:wile%40acme.example" in html
    assert "Coyotl" not in html and "Coyoto" not in html
    client.force_login(world.admin.user)
    html = client.get(reverse("desk:search_suggest"), {"q": "coyo"}).content.decode()
    assert "Coyotl" in html and "Coyoto" not in html
    assert client.get(reverse("desk:search_suggest"), {"q": "an"}).content.decode().strip() in (
        "",
        '<div class="suggestions card small muted" role="status">Press Enter to search.</div>',
    )


def test_the_results_page_query_count_does_not_grow_with_the_hits(
    client: Client, world: World, django_assert_num_queries
) -> None:
    world.open("Fan", body_html="<p>fan</p>")
    index()
    client.force_login(world.agent.user)
    url = reverse("desk:search")
    client.get(url, {"q": "fan"})
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, {"q": "fan"}).status_code == 200
    for n in range(12):
        ticket = world.open(f"Fan {n}", body_html="<p>fan</p>")
        lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)
    index()
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url, {"q": "fan"}).status_code == 200


def test_the_new_ticket_form_looks_customers_up(client: Client, world: World) -> None:
    wile = make_customer("Wile Coyote", "wile@acme.example")
    wile.phone = "555 0199"
    wile.save()
    client.force_login(world.agent.user)
    html = client.get(reverse("desk:customer_lookup"), {"lookup": "0199"}).content.decode()
    assert 'data-email="wile@acme.example"' in html and 'data-name="Wile Coyote"' in html
    html = client.get(reverse("desk:customer_lookup"), {"lookup": "zzzz"}).content.decode()
    assert "No customer matches" in html
    assert 'id="customer-lookup"' in client.get(reverse("desk:new_ticket")).content.decode()


def test_a_whole_number_opens_its_ticket_even_when_longer_numbers_start_so(
    client: Client, world: World
) -> None:
    from helpline.tickets.models import Ticket

    ticket = world.open()
    longer = world.open("Longer")
    Ticket.objects.filter(pk=longer.pk).update(number=ticket.number + "7")
    client.force_login(world.agent.user)
    response = client.get(reverse("desk:search"), {"q": ticket.number})
    assert response["Location"] == reverse("desk:ticket", args=[ticket.number])


def test_what_the_suggestions_found_enter_finds_and_says_how(client: Client, world: World) -> None:
    ticket = world.open("Laptop will not start", body_html="<p>Black screen.</p>")
    index()
    client.force_login(world.agent.user)
    suggested = client.get(reverse("desk:search_suggest"), {"q": "lap"}).content.decode()
    assert ticket.number in suggested
    status, html = page(client, q="lap")
    assert status == 200 and f"#{ticket.number}" in html
    assert 'id="search-prefixed"' in html and "“lap”" in html
    assert "<mark>Laptop</mark>" in html  # where it matched, as for whole words
    assert "Best match" not in html  # one order only: newest first
    status, html = page(client, q="laptop")
    assert 'id="search-prefixed"' not in html and "Best match" in html


def test_the_results_take_the_queues_filters_and_keep_them_on_every_link(
    client: Client, world: World
) -> None:
    support = world.open("Kettle", body_html="<p>kettle</p>")
    sales = world.open("Sales kettle", topic=world.sales_topic, body_html="<p>kettle</p>")
    for n in range(2):
        world.open(f"Sales kettle {n}", topic=world.sales_topic, body_html="<p>kettle</p>")
    index()
    client.force_login(world.admin.user)
    status, html = page(client, q="kettle", department=str(world.sales.pk))
    assert status == 200
    assert f"#{sales.number}" in html and f"#{support.number}" not in html
    assert "3 tickets match: 3 open, 0 closed." in html
    assert 'id="f-department"' in html and "Clear filters" in html
    assert f'value="{world.sales.pk}" selected' in html
    # The order links keep the filters (and a next page's: the same `link`).
    response = client.get(
        reverse("desk:search"), {"q": "kettle", "department": str(world.sales.pk)}
    )
    for _key, url in response.context["orders"]:
        assert f"department={world.sales.pk}" in url
    # A filter the lists never give: the reason, never a wider list.
    status, html = page(client, q="kettle", department="sales")
    assert status == 400 and f"#{support.number}" not in html
    assert "filter must be the number of a department" in html
    # A whole number with a filter lists it rather than opening it; so does a
    # filter list's change (htmx swaps the page's results area).
    response = client.get(reverse("desk:search"), {"q": sales.number, "topic": "999"})
    assert response.status_code == 200
    response = client.get(reverse("desk:search"), {"q": sales.number}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="search-results"' in response.content.decode()


def test_a_filtered_pages_cursor_serves_only_that_filter(client: Client, world: World) -> None:
    for n in range(3):
        world.open(f"Sales kettle {n}", topic=world.sales_topic, body_html="<p>kettle</p>")
    index()
    client.force_login(world.admin.user)
    from helpline.search.service import search

    first = search(
        "kettle", agent=world.admin, limit=1, filters={"department": str(world.sales.pk)}
    )
    assert first.next_cursor
    status, html = page(client, q="kettle", cursor=first.next_cursor)  # the filter dropped
    assert status == 400 and "start the search again" in html


def test_nothing_to_search_for_says_so(client: Client, world: World) -> None:
    client.force_login(world.agent.user)
    for typed in ('""', "-"):
        status, html = page(client, q=typed)
        assert status == 200 and 'id="search-nothing"' in html, typed
        assert "tickets match" not in html


def test_the_topic_list_holds_the_agents_departments_topics(client: Client, world: World) -> None:
    world.open("Kettle", body_html="<p>kettle</p>")
    index()
    client.force_login(world.agent.user)  # Support only
    topics = client.get(reverse("desk:search"), {"q": "kettle"}).context["options"]["topics"]
    assert world.topic in topics and world.sales_topic not in topics
