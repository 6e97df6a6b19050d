"""The ticket page's customer panel: only the customer's tickets the agent may see,
counted, the newest listed, and a link to a list that holds exactly them."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.desk.tests.test_desk import login
from helpline.tickets import lifecycle

pytestmark = pytest.mark.django_db


def _panel(client: Client, number: str) -> tuple[str, str, list[str]]:
    """The panel's count, its link, and the numbers of the tickets it lists."""
    page = client.get(reverse("desk:ticket", args=[number])).content.decode()
    link = re.search(r'<a href="([^"]+)" data-customer-tickets>([^<]+)</a>', page)
    assert link is not None
    recent = re.search(r'<ul class="customer-recent">(.*?)</ul>', page, re.S)
    listed = re.findall(r">#(\d+)</a>", recent.group(1)) if recent else []
    return link.group(2).strip(), html.unescape(link.group(1)), listed


def test_the_panel_counts_lists_and_links_only_the_tickets_the_agent_may_see(
    client: Client, world: World
) -> None:
    older = world.open("Old printer")
    lifecycle.close(older, actor=world.agent)
    hidden = world.open("A quote, please", topic=world.sales_topic)
    current = world.open("Printer on fire")
    login(client, world.agent)  # Support only: not the Sales ticket

    count, href, listed = _panel(client, current.number)
    assert count == "2 in all"
    assert listed == [older.number]  # the closed one too; never the Sales one
    page = client.get(reverse("desk:ticket", args=[current.number])).content.decode()
    assert hidden.number not in page

    # The link's list holds the same two, closed included.
    found = client.get(href)
    assert found.status_code == 200
    rows = re.findall(r'<tr [^>]*data-ticket="(\d+)"', found.content.decode())
    assert rows == [current.number, older.number]

    # An administrator sees all three.
    login(client, world.admin)
    count, _href, listed = _panel(client, current.number)
    assert count == "3 in all"
    assert listed == [hidden.number, older.number]
