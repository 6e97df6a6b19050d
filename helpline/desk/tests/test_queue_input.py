"""What the queues make of their query string: a filter that cannot be an id
(beyond 64 bits, negative, not a number, NUL bytes, 5,000 characters) or a page
cursor the desk did not make is a clear 400 naming the parameter, on the queue
pages and their CSV, on SQLite and PostgreSQL alike; never a 500, never a
silently wider list. An old page number (OFFSET pages) opens the first page.

Before: `?page=922337203685477580` overflowed the OFFSET (500 on both
databases), `?department=99999999999999999999999` (or `customer=`) overflowed
SQLite's integer (500), and the CSV was cut mid-stream."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.test import Client

from helpline.conftest import World
from helpline.tickets import keyset
from helpline.tickets.queues import FILTERS, QUEUES, BadQueueInput, queue_page

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


def signed(payload: object) -> str:
    """A cursor signed as the desk signs them, holding anything."""
    return signing.dumps(payload, salt=keyset.SALT, compress=False)


GOOD = {"s": "updated", "f": 1, "m": 0, "v": [1_700_000_000_000_000, 5]}
BAD_CURSORS = [
    *BAD_NUMBERS,
    signed(GOOD)[:-2] + "xx",  # a mangled signature
    signed(GOOD) + "x" * 400,  # too long to be ours
    signed({**GOOD, "s": "due"}),  # made for another sort
    signed({**GOOD, "f": 2}),
    signed({**GOOD, "m": 1}),  # the "updated" sort has one segment
    signed({**GOOD, "v": [1]}),  # too few values
    signed({**GOOD, "v": ["2026-01-01", 5]}),  # a time must be a number
    signed({**GOOD, "v": [2**62, 5]}),  # beyond the year 9999
    signed({**GOOD, "v": [1_700_000_000_000_000, 2**63]}),  # beyond 64 bits
    signed({**GOOD, "v": [1_700_000_000_000_000, True]}),
    signed([1, 2]),
    signed({**GOOD, "x": 1}),
    signed({"s": "number", "f": 1, "m": 0, "v": ["1" * 21]}),  # longer than a number
]
PARAMETERS = [
    *((name, value) for name in FILTERS for value in BAD_NUMBERS),
    *(("cursor", value) for value in BAD_CURSORS),
]


# Ids by position: a signed cursor holds the second it was signed in, so the
# values differ between two test processes that collected them a second apart
# (pytest-xdist refuses workers whose collected ids differ).
@pytest.mark.parametrize(
    ("name", "value"), PARAMETERS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(PARAMETERS)]
)
def test_a_number_that_cannot_be_an_id_or_a_page_is_a_clear_400_on_every_queue_url(
    world: World, client: Client, name: str, value: str
) -> None:
    world.open()
    signed_in(client, world)
    urls = ["/desk/", "/desk/queues/closed/"]
    if name != "cursor":  # the CSV has every page
        urls.append("/desk/reports/queues/open/export.csv")
    for url in urls:
        sort = "number" if name == "cursor" and '"number"' in _payload(value) else ""
        response = client.get(url, {name: value, "sort": sort})
        assert response.status_code == 400, (url, name, value)
        text = body(response)
        assert f"“{name}”" in text
        assert "Internal" not in text


def _payload(value: str) -> str:
    try:
        return str(signing.loads(value, salt=keyset.SALT))
    except signing.BadSignature:
        return ""


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
    forged = client.get("/desk/queues/open/", {"cursor": "abc"})
    assert forged.status_code == 400
    assert "This page link (its “cursor”) is not one the desk made" in forged.content.decode()
    assert ticket.number not in forged.content.decode()


@pytest.mark.parametrize("page", ["2", "1000", "922337203685477580", "-3", "abc", "\x00"])
def test_an_old_page_number_opens_the_first_page_and_says_so(
    world: World, client: Client, page: str
) -> None:
    ticket = world.open()
    response = signed_in(client, world).get("/desk/queues/open/", {"page": page})
    assert response.status_code == 200
    text = response.content.decode()
    assert ticket.number in text
    assert "Pages are no longer numbered: this is the first page." in text
    first = client.get("/desk/queues/open/", {"page": "1"}).content.decode()
    assert "Pages are no longer numbered" not in first


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


def test_none_still_means_unassigned_and_good_filters_still_filter(world: World) -> None:
    ticket = world.open()
    page = queue_page(world.admin, "open", {"assignee": "none", "team": "none", "page": "1"})
    assert page is not None and [t.number for t in page.tickets] == [ticket.number]
    page = queue_page(world.admin, "open", {"department": str(world.sales.pk)})
    assert page is not None and page.tickets == []
    with pytest.raises(BadQueueInput) as bad:
        queue_page(world.admin, "open", {"topic": "none"})
    assert bad.value.field == "topic"
