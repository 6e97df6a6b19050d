"""Reading tickets: one ticket, its thread and attachments, and the list with its
filters and cursor pages."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.conftest import World
from helpline.tests.plans import explain
from helpline.tickets import lifecycle
from helpline.tickets.models import Priority, Status, Ticket

from .conftest import Api, make_key


def test_the_api_channel_reads_any_ticket(world: World, channel: Api, ticket: Ticket) -> None:
    response = channel.get(f"/tickets/{ticket.number}")

    assert response.status_code == 200
    assert response.json()["number"] == ticket.number
    assert response.json()["status"] == {"id": ticket.status_id, "name": "Open", "state": "open"}


def test_an_agent_reads_tickets_of_their_department(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    assert agent_api.get(f"/tickets/{ticket.number}").status_code == 200


def test_a_ticket_the_agent_may_not_see_is_404_like_one_that_does_not_exist(
    world: World, sales_api: Api, ticket: Ticket
) -> None:
    hidden = sales_api.get(f"/tickets/{ticket.number}")
    missing = sales_api.get("/tickets/000000")

    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.json() == {"detail": "No such ticket.", "field": None}


@pytest.mark.parametrize("number", ["%00", "12345678901234567890123", "1;DROP", "ab%0Acd"])
def test_odd_ticket_numbers_are_simply_not_found(channel: Api, number: str) -> None:
    assert channel.get(f"/tickets/{number}").status_code == 404


def test_the_sales_agent_sees_a_support_ticket_once_their_team_has_it(
    world: World, sales_api: Api, ticket: Ticket
) -> None:
    world.team.members.add(world.other_agent)
    lifecycle.assign(ticket, actor=world.admin, team=world.team)

    assert sales_api.get(f"/tickets/{ticket.number}").status_code == 200


@pytest.fixture
def busy(world: World, ticket: Ticket, media: Path) -> Ticket:
    """Ken's ticket with a reply carrying a file and an internal note."""
    upload = lifecycle.Upload("fix.txt", "text/plain", b"turn it off")
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Try this</p>", uploads=[upload])
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Secret plan</p>")
    return ticket


def test_agents_read_the_whole_thread_with_notes(
    world: World, agent_api: Api, busy: Ticket
) -> None:
    thread = agent_api.get(f"/tickets/{busy.number}/thread").json()

    assert [e["kind"] for e in thread] == ["message", "reply", "note"]
    assert thread[1]["author"] == "Alice Agent"
    assert thread[1]["agent_id"] == world.agent.pk
    assert thread[1]["attachments"][0]["filename"] == "fix.txt"
    assert thread[0]["body"] == "<p>It is really on fire.</p>"


def test_the_api_channel_never_reads_internal_notes(channel: Api, busy: Ticket) -> None:
    thread = channel.get(f"/tickets/{busy.number}/thread").json()

    assert [e["kind"] for e in thread] == ["message", "reply"]


def test_attachments_download_as_files(world: World, agent_api: Api, busy: Ticket) -> None:
    url = agent_api.get(f"/tickets/{busy.number}/thread").json()[1]["attachments"][0]["url"]

    response = agent_api.client.get(url, headers={"Authorization": f"Bearer {agent_api.key}"})

    assert response.status_code == 200
    assert response.getvalue() == b"turn it off"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def test_attachments_of_notes_and_of_other_tickets_are_not_found(
    world: World, channel: Api, agent_api: Api, busy: Ticket
) -> None:
    lifecycle.add_note(
        busy,
        actor=world.agent,
        body_html="<p>log</p>",
        uploads=[lifecycle.Upload("n.txt", "text/plain", b"internal")],
    )
    [reply_file, note_file] = [
        a["id"]
        for e in agent_api.get(f"/tickets/{busy.number}/thread").json()
        for a in e["attachments"]
    ]
    other = world.open("Another")

    assert channel.get(f"/tickets/{busy.number}/attachments/{note_file}").status_code == 404
    assert channel.get(f"/tickets/{other.number}/attachments/{reply_file}").status_code == 404
    assert agent_api.get(f"/tickets/{busy.number}/attachments/{note_file}").status_code == 200


# --- the list ---------------------------------------------------------------------------


def open_many(world: World, count: int) -> list[Ticket]:
    """`count` tickets, several changed at the very same instant (ties on updated_at)."""
    tickets = [world.open(f"Ticket {i}") for i in range(count)]
    same = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[: count // 2]]).update(updated_at=same)
    return tickets


def walk(api: Api, **params: Any) -> tuple[list[str], int]:
    """Every page of the list; the numbers in order and how many pages."""
    numbers: list[str] = []
    pages = 0
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/tickets", **query)
        assert response.status_code == 200, response.content
        page = response.json()
        numbers += [t["number"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return numbers, pages


def test_cursor_pages_cover_every_ticket_exactly_once_newest_first(
    world: World, channel: Api
) -> None:
    tickets = open_many(world, 23)

    numbers, pages = walk(channel, limit=5)

    assert pages == 5
    assert sorted(numbers) == sorted(t.number for t in tickets)
    assert len(numbers) == len(set(numbers))
    order = list(Ticket.objects.order_by("-updated_at", "-id").values_list("number", flat=True))
    assert numbers == order


def test_a_ticket_changed_while_paging_is_neither_skipped_nor_repeated_if_unchanged(
    world: World, channel: Api
) -> None:
    tickets = open_many(world, 10)
    first = channel.get("/tickets", limit=4).json()
    lifecycle.add_note(tickets[0], actor=world.agent, body_html="<p>bump</p>")  # moves to top

    rest, _ = walk_from(channel, first["next_cursor"], limit=4)

    seen = [t["number"] for t in first["items"]] + rest
    unchanged = {t.number for t in tickets[1:]}
    assert unchanged <= set(seen)
    assert len(seen) == len(set(seen))


def walk_from(api: Api, cursor: str, **params: Any) -> tuple[list[str], int]:
    numbers: list[str] = []
    pages = 0
    while cursor:
        page = api.get("/tickets", cursor=cursor, **params).json()
        numbers += [t["number"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
    return numbers, pages


def test_the_list_shows_an_agent_only_what_they_may_see(world: World, sales_api: Api) -> None:
    world.open("Support ticket")
    pricing = world.open("Sales ticket", topic=world.sales_topic)

    numbers, _ = walk(sales_api)

    assert numbers == [pricing.number]


def test_the_list_filters(world: World, channel: Api) -> None:
    printer = world.open("Printer")
    pricing = world.open("Pricing", topic=world.sales_topic)
    olive = world.open("Olive's", actor=world.outsider, customer=world.outsider)
    lifecycle.assign(printer, actor=world.admin, agent=world.agent)
    lifecycle.change_priority(
        pricing, actor=world.admin, priority=Priority.objects.get(name="High")
    )
    lifecycle.close(olive, actor=world.admin)
    before_change = timezone.now()
    lifecycle.add_note(pricing, actor=world.admin, body_html="<p>n</p>")

    def numbers(**params: Any) -> set[str]:
        return {t["number"] for t in channel.get("/tickets", **params).json()["items"]}

    assert numbers(state="closed") == {olive.number}
    assert numbers(status=Status.objects.get(name="Closed").pk) == {olive.number}
    assert numbers(department=world.sales.pk) == {pricing.number}
    assert numbers(topic=world.topic.pk) == {printer.number, olive.number}
    assert numbers(priority=Priority.objects.get(name="High").pk) == {pricing.number}
    assert numbers(assignee=world.agent.pk) == {printer.number}
    assert numbers(assignee="none", state="open") == {pricing.number}
    assert numbers(customer_email="OLIVE@example.org") == {olive.number}
    assert numbers(updated_since=before_change.isoformat()) == {pricing.number}
    assert numbers(customer_email="nobody@example.org") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "WyJub3QgYSBkYXRlIiwgMV0"}, "cursor"),  # ["not a date", 1]
        ({"state": "pending"}, "state"),
        ({"assignee": "someone"}, "assignee"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"status": "-1"}, "status"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_the_parameter(
    channel: Api, params: dict[str, Any], field: str
) -> None:
    response = channel.get("/tickets", **params)

    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def list_queries(api: Api, **params: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/tickets", **params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["channel", "agent_api", "supervisor_api"])
def test_a_page_costs_the_same_few_queries_at_any_size(
    world: World, request: pytest.FixtureRequest, who: str
) -> None:
    api: Api = request.getfixturevalue(who)
    open_many(world, 3)
    api.get("/tickets")  # the key's first use is recorded once; later ones are free

    few = list_queries(api, limit=100)
    open_many(world, 40)
    many = list_queries(api, limit=100)
    cursor = api.get("/tickets", limit=10).json()["next_cursor"]
    paged = list_queries(api, limit=10, cursor=cursor, customer_email="ken@example.com")

    # The key; the newest ids of each state, then those rows; an agent's
    # departments and teams add two.
    expected = 3 if who == "channel" else 5
    assert few == many == paged == expected


def page_plans(api: Api, **params: Any) -> list[str]:
    """The plans of the queries that read tickets for one page, in order."""
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/tickets", **params).status_code == 200
    # The captured SQL has its values inlined; explain it as it ran.
    return [
        explain(q["sql"], ())
        for q in queries.captured_queries
        if '"tickets_ticket"' in q["sql"] and "ORDER BY" in q["sql"]
    ]


@pytest.mark.parametrize(
    ("params", "states"),
    [
        ({}, 3),
        ({"state": "open"}, 1),
        ({"state": "closed", "department": 1}, 1),
        ({"assignee": "none"}, 3),
        ({"updated_since": "2020-01-01T00:00:00Z"}, 3),
        ({"cursor": "WyIyMDMwLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgOTk5OV0"}, 3),
    ],
)
@pytest.mark.parametrize("who", ["channel", "agent_api"])
def test_a_page_reads_the_ticket_indexes_in_order_and_never_sorts_the_table(
    world: World, request: pytest.FixtureRequest, who: str, params: dict[str, Any], states: int
) -> None:
    """One state: one index read in order, no sort. Every state: each state's index
    read in order, `limit` ids apiece, then only those rows by primary key."""
    world.open()
    plans = page_plans(request.getfixturevalue(who), **params)

    postgres = connection.vendor == "postgresql"
    in_order = (
        r"Index (Only )?Scan Backward using ticket_"
        if postgres
        else (r"USING (COVERING )?INDEX ticket_")
    )
    sort = "Sort  (" if postgres else "TEMP B-TREE"
    if states == 1:
        [page] = plans
    else:
        page, rows = plans
        assert ("tickets_ticket_pkey" if postgres else "INTEGER PRIMARY KEY") in rows, rows
        assert "Seq Scan on tickets_ticket" not in rows, rows
    assert len(re.findall(in_order, page)) == states, page
    assert sort not in page, page
    assert "Seq Scan on tickets_ticket" not in page, page


def test_a_key_that_only_creates_does_not_list(world: World, channel: Api) -> None:
    creator = channel.as_key(make_key(scopes=["tickets:create"]))

    assert creator.get("/tickets").status_code == 403
