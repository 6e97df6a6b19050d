"""What the queues make of their query string: a page number or a filter that
cannot be an id (beyond 64 bits, negative, not a number, NUL bytes, 5,000
characters) is a clear 400 naming the parameter, on the queue pages and their
CSV, on SQLite and PostgreSQL alike; never a 500, never a silently wider list.

Before: `?page=922337203685477580` overflowed the OFFSET (500 on both
databases), `?department=99999999999999999999999` (or `customer=`) overflowed
SQLite's integer (500), and the CSV was cut mid-stream."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from helpline.conftest import World
from helpline.tickets.queues import FILTERS, MAX_PAGE, QUEUES, BadQueueInput, queue_page

pytestmark = pytest.mark.django_db

BAD_NUMBERS = [
    "9223372036854775808",  # 2**63
    "99999999999999999999999",
    "-99999999999999999999999",
    "-1",
    "0",
    "abc",
    "0x10",
    "1e3",
    "\uff11\uff12",  # full-width digits: int() reads them, an id never has them
    "\x00",
    "1\x00",
    "9" * 5000,
]


def body(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def signed_in(client: Client, world: World) -> Client:
    client.force_login(world.admin.user)
    return client


PARAMETERS = [
    *((name, value) for name in FILTERS for value in BAD_NUMBERS),
    *(("page", value) for value in BAD_NUMBERS),
    ("page", "922337203685477580"),  # its OFFSET is beyond 64 bits
    ("page", str(MAX_PAGE + 1)),
]


@pytest.mark.parametrize(("name", "value"), PARAMETERS)
def test_a_number_that_cannot_be_an_id_or_a_page_is_a_clear_400_on_every_queue_url(
    world: World, client: Client, name: str, value: str
) -> None:
    world.open()
    signed_in(client, world)
    urls = ["/desk/", "/desk/queues/closed/"]
    if name != "page":  # the CSV has every page
        urls.append("/desk/reports/queues/open/export.csv")
    for url in urls:
        response = client.get(url, {name: value})
        assert response.status_code == 400, (url, name, value)
        text = body(response)
        assert f"“{name}”" in text
        assert "Internal" not in text


def test_the_queue_page_says_what_is_wrong_and_offers_to_clear_the_filters(
    world: World, client: Client
) -> None:
    ticket = world.open()
    response = signed_in(client, world).get("/desk/", {"department": "99999999999999999999999"})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'role="alert"' in text
    assert "The “department” filter must be the number of a department" in text
    assert 'href="/desk/queues/open/">Clear filters' in text
    assert ticket.number not in text  # not a silently wider list
    too_far = client.get("/desk/queues/open/", {"page": str(MAX_PAGE + 1)})
    assert too_far.status_code == 400
    assert f"The “page” must be a whole number from 1 to {MAX_PAGE:,}" in too_far.content.decode()


def test_the_queue_csv_answers_a_bad_filter_before_it_starts_the_file(
    world: World, client: Client
) -> None:
    response = signed_in(client, world).get(
        "/desk/reports/queues/open/export.csv", {"customer": "99999999999999999999999"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    assert body(response).startswith("The “customer” filter must be the number of a customer")


@pytest.mark.parametrize("key", list(QUEUES))
def test_the_largest_ids_and_the_last_page_are_answered_with_an_empty_list(
    world: World, client: Client, key: str
) -> None:
    world.open()
    signed_in(client, world)
    largest = str(2**63 - 1)
    for name in FILTERS:
        response = client.get(f"/desk/queues/{key}/", {name: largest})
        assert response.status_code == 200, name
        assert response.context["page"].tickets == []
        csv = client.get(f"/desk/reports/queues/{key}/export.csv", {name: largest})
        assert csv.status_code == 200 and len(body(csv).splitlines()) == 1  # the header
    last = client.get(f"/desk/queues/{key}/", {"page": str(MAX_PAGE)})
    assert last.status_code == 200 and last.context["page"].tickets == []


def test_none_still_means_unassigned_and_good_filters_still_filter(world: World) -> None:
    ticket = world.open()
    page = queue_page(world.admin, "open", {"assignee": "none", "team": "none", "page": "1"})
    assert page is not None and [t.number for t in page.tickets] == [ticket.number]
    page = queue_page(world.admin, "open", {"department": str(world.sales.pk)})
    assert page is not None and page.tickets == []
    with pytest.raises(BadQueueInput) as bad:
        queue_page(world.admin, "open", {"topic": "none"})
    assert bad.value.field == "topic"
