"""The queue pager in a real Chromium: Next and Previous follow the signed
cursors through a sorted queue and back to the first page, a sort chosen with
htmx keeps its pages, and an old bookmarked `?page=N` opens the first page with
a note. Screenshots (desktop and 390 px wide) go to test-artifacts/desk/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.accounts.models import Agent
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.models import Priority, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def numbers(page: Page) -> list[str]:
    return page.locator("#queue tbody tr[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)"
    )


def test_an_agent_pages_through_a_sorted_queue_and_back(
    live_server: Any, page: Page, settings: Any
) -> None:
    settings.HELPLINE_QUEUE_PAGE_SIZE = 3
    load_demo()
    mia = Agent.objects.get(user__username="mia.chen")
    seed = Ticket.objects.filter(department__in=mia.access.values("department"), state="open")[0]
    columns = {f.attname: getattr(seed, f.attname) for f in Ticket._meta.concrete_fields}
    priorities = list(Priority.objects.all())
    Ticket.objects.bulk_create(
        Ticket(
            **{
                **columns,
                "id": None,
                "number": f"8800{n:02d}",
                "subject": f"Printer {n} is out of toner",
                "priority_id": priorities[n % len(priorities)].pk,
            }
        )
        for n in range(8)
    )
    base = live_server.url
    page.goto(f"{base}/desk/login/")
    page.get_by_label("Username").fill("mia.chen")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open")).to_be_visible()

    # Sorting by priority (htmx swaps the table) keeps a pager with Next.
    page.locator("#f-sort").select_option("priority")
    expect(page).to_have_url(re.compile(r"/desk/queues/open/\?.*sort=priority"))
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.get_by_role("link", name="Next →")).to_be_visible()
    first = numbers(page)
    assert len(first) == 3

    pager.get_by_role("link", name="Next →").click()
    expect(pager.get_by_role("link", name="← Previous")).to_be_visible()
    expect(pager.get_by_role("link", name="First page")).to_be_visible()
    second = numbers(page)
    assert second and not set(second) & set(first)
    assert "cursor=" in page.url and "sort=priority" in page.url
    shot(page, "queue-pager-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "queue-pager-390")
    _rows_are_cards(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    pager.get_by_role("link", name="← Previous").click()
    expect(pager.get_by_role("link", name="Next →")).to_be_visible()
    assert numbers(page) == first
    expect(pager.get_by_role("link", name="← Previous")).to_have_count(0)

    # A bookmark from the days of numbered pages: the first page, and why.
    page.goto(f"{base}/desk/queues/open/?sort=priority&page=7")
    expect(page.get_by_role("status")).to_contain_text("Pages are no longer numbered")
    assert numbers(page) == first
    # A mangled cursor: a clear message, not an error page.
    page.goto(f"{base}/desk/queues/open/?sort=priority&cursor=nonsense")
    expect(page.get_by_role("alert")).to_contain_text("This page link")


def _rows_are_cards(page: Page) -> None:
    """At phone width each ticket is a card: its subject spans the card, its
    number and status share the first line, and nothing scrolls sideways (once a
    table squeezed to a word a line)."""
    row = page.locator("table.list tbody tr").first
    card = row.bounding_box()
    subject = row.locator("td.subject").bounding_box()
    number = row.locator("td.num").first.bounding_box()
    status = row.locator("td.status-cell").bounding_box()
    assert card and subject and number and status
    assert subject["width"] > card["width"] * 0.8
    assert abs(number["y"] - status["y"]) < 8 and status["x"] > number["x"]
    assert subject["y"] > number["y"]
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    expect(page.locator("table.list thead")).to_be_attached()  # still read out
