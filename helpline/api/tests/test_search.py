"""Searching through the API: `GET /api/v1/search` and `q=` on the ticket list."""

from __future__ import annotations

import pytest

from helpline.conftest import World
from helpline.search.tests.helpers import index
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

from .conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted(world: World) -> Ticket:
    ticket = world.open("Billing", body_html="<p>The invoice total is wrong.</p>")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Refund pending in SAP.</p>")
    index()
    return ticket


def test_an_agent_searches_with_the_desks_syntax(
    world: World, agent_api: Api, noted: Ticket
) -> None:
    world.open("Other", body_html="<p>The invoice arrived.</p>")
    index()
    response = agent_api.get("/search", q="invoice wrong", order="relevance")
    assert response.status_code == 200
    body = response.json()
    assert [hit["ticket"]["number"] for hit in body["items"]] == [noted.number]
    assert "<mark>invoice</mark>" in body["items"][0]["snippet_html"].lower()
    assert body["counts"] == {"open": 1} and body["counts_capped"] is False
    notes = agent_api.get("/search", q="refund").json()["items"]
    assert [(h["ticket"]["number"], h["in_note"]) for h in notes] == [(noted.number, True)]
    # The subject's hits, marked; a search by number says so.
    billing = agent_api.get("/search", q="billing").json()
    assert billing["items"][0]["subject_html"] == "<mark>Billing</mark>"
    assert billing["items"][0]["snippet_html"] is None and billing["by_number"] is False
    assert agent_api.get("/search", q=noted.number[:4]).json()["by_number"] is True


def test_the_api_channel_never_finds_a_note(channel: Api, noted: Ticket) -> None:
    assert channel.get("/search", q="refund").json()["items"] == []
    assert (
        channel.get("/search", q="invoice").json()["items"][0]["ticket"]["number"] == noted.number
    )


def test_an_agent_of_another_department_finds_nothing_and_counts_nothing(
    sales_api: Api, noted: Ticket
) -> None:
    for q in ("invoice", "refund", noted.number, f"from:{noted.customer.email}"):
        body = sales_api.get("/search", q=q).json()
        assert body["items"] == [] and body["counts"] == {}, q


def test_a_search_that_cannot_run_is_a_422_that_says_why(agent_api: Api) -> None:
    response = agent_api.get("/search", q="invoice colour:red")
    assert response.status_code == 422
    assert "colour" in response.json()["detail"]
    assert agent_api.get("/search", q="x", cursor="forged").status_code == 422
    assert agent_api.get("/search", q="x" * 501).status_code == 422
    assert agent_api.get("/search", q="x", order="sideways").status_code == 422


def test_pages_follow_the_cursor(world: World, agent_api: Api) -> None:
    opened = {world.open(f"Disk {n}", body_html="<p>disk full</p>").number for n in range(5)}
    index()
    seen: list[str] = []
    params = {"q": "disk", "limit": "2"}
    while True:
        body = agent_api.get("/search", **params).json()
        seen += [hit["ticket"]["number"] for hit in body["items"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(opened)


def test_the_ticket_list_takes_q_with_its_other_filters(
    world: World, agent_api: Api, noted: Ticket
) -> None:
    closed = world.open("Billing again", body_html="<p>invoice</p>")
    lifecycle.close(closed, actor=world.agent)
    index()
    numbers = [t["number"] for t in agent_api.get("/tickets", q="invoice").json()["items"]]
    assert numbers == [closed.number, noted.number]
    open_only = agent_api.get("/tickets", q="invoice", state="open").json()["items"]
    assert [t["number"] for t in open_only] == [noted.number]


def test_a_word_that_matches_nothing_is_searched_as_a_start_and_says_so(
    agent_api: Api, noted: Ticket
) -> None:
    """`/search` finds what the desk's does ("invo" as the start of "invoice"),
    and says so; the ticket list's `q=` is a filter and matches as typed."""
    started = agent_api.get("/search", q="invo").json()
    assert [hit["ticket"]["number"] for hit in started["items"]] == [noted.number]
    assert started["words_as_starts"] is True
    assert agent_api.get("/search", q="invoice").json()["words_as_starts"] is False
    assert agent_api.get("/tickets", q="invo").json()["items"] == []
