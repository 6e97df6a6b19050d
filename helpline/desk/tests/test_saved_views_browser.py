"""Saved views in Chromium: Alice saves the open queue of Printers as a view of her
own (chosen columns in her order, compact, by due time) and sorts it by a header;
Sam, Support's supervisor, shares a view with Support, and Alice finds it in her
sidebar with its count. Screenshots in test-artifacts/desk/views-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from helpline.conftest import World
from helpline.desk.models import Density, SavedView, Sharing
from helpline.tests.security.browser import sign_in
from helpline.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


def shot(page: Page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page, caret="initial")


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield context.new_page()
    assert errors == [], errors
    context.close()


def header_texts(page: Page) -> list[str]:
    return [
        t.replace("▲", "").replace("▼", "").replace("↕", "").strip()
        for t in page.locator("table.list thead th").all_inner_texts()
    ]


def test_a_personal_view_with_chosen_columns_compact_and_a_header_sort(
    page: Page, world: World, live_server: Any
) -> None:
    now = timezone.now()
    for i in range(30):
        ticket = world.open(f"Printer {i:02} out of toner")
        Ticket.objects.filter(pk=ticket.pk).update(
            due_at=now + timedelta(hours=30 - i), created_at=now - timedelta(hours=i)
        )
    world.open("Quote for 20 laptops", topic=world.sales_topic)
    sign_in(page.context, live_server.url, world.agent.user)
    page.goto("/desk/")
    page.wait_for_load_state()
    page.locator("#f-topic").select_option(label="Printers")
    expect(page.locator("#queue")).not_to_contain_text("Quote for 20 laptops")

    page.get_by_role("button", name="Save as view").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="New view")).to_be_visible()
    expect(page.get_by_role("combobox", name="Help topic")).to_have_value(str(world.topic.pk))
    page.get_by_label("Name").fill("Printers, due first")
    page.get_by_role("combobox", name="Sort by").select_option("due")
    for name in ("From", "Department", "Priority", "Status", "Assigned to", "Last update"):
        page.get_by_role("checkbox", name=name, exact=True).uncheck()
    for name in ("Due", "SLA", "Age", "Created"):
        page.get_by_role("checkbox", name=name, exact=True).check()
    page.get_by_label("Compact").check()
    # A ticked column joins the end of the chosen ones; the subject goes after
    # the due time and the SLA, two places down, in the page at once.
    for _ in range(2):
        page.get_by_role("button", name="Move Subject down").click()
    expect(page.get_by_role("button", name="Move Subject down")).to_be_focused()
    expect(page.get_by_label("Name")).to_have_value("Printers, due first")
    expect(page.get_by_label("Compact")).to_be_checked()
    shot(page, "views-1-form")
    page.get_by_role("button", name="Save view").click()
    page.wait_for_load_state()

    view = SavedView.objects.get()
    assert view.density == Density.COMPACT and view.owner == world.agent
    expect(page.get_by_role("heading", name="Printers, due first")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("View “Printers, due first” saved.")
    assert view.columns == ["number", "due", "sla", "subject", "age", "created"]
    assert header_texts(page) == ["Ticket", "Due", "SLA", "Subject", "Age", "Created"]
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(25)
    # Compact: the whole page of 25 on one laptop screen (1440 x 900), seen
    # again without the "saved" message.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.reload()
    page.wait_for_load_state()
    shot(page, "views-2-compact", full_page=False)
    last = rows.nth(24).bounding_box()
    assert last is not None and last["y"] + last["height"] <= 900, last
    expect(rows.first).to_contain_text("Printer 29")  # due soonest
    sidebar = page.locator(f'[data-view="{view.pk}"]')
    expect(sidebar).to_have_attribute("aria-current", "page")
    expect(sidebar.locator(".count")).to_have_text("30")

    # The "Created" header: newest first, then a second click turns it round.
    page.locator("table.list thead").get_by_role("link", name="Created").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Created")
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text("Printer 00")
    page.locator("table.list thead").get_by_role("link", name="Created").click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_contain_text("Printer 29")
    assert "sort=oldest" in page.url
    shot(page, "views-3-sorted", full_page=False)

    # A ticket opened from the view returns to it, sorted as it was.
    rows.first.locator("td.subject a").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Back to tickets").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/desk/views/{view.pk}/?sort=oldest"), page.url

    # An agent may not assign in bulk: "a" says so and ticks nothing.
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator("[data-bulk-count]")).to_have_text(
        "You may not do that to several tickets at once."
    )
    expect(page.locator('input[name="t"]:checked')).to_have_count(0)

    # On a phone each row is a card, the view's own columns labelled in it.
    page.set_viewport_size({"width": 390, "height": 844})
    first = rows.first
    expect(first.locator("td.col-due")).to_be_visible()
    expect(first.locator("td.col-sla")).to_be_visible()
    shot(page, "views-5-phone", full_page=False)


def test_a_view_shared_with_the_department(page: Page, world: World, live_server: Any) -> None:
    for i in range(3):
        world.open(f"Printer {i} jammed")
    world.open("Quote for 20 laptops", topic=world.sales_topic)
    sign_in(page.context, live_server.url, world.supervisor.user)
    page.goto("/desk/views/new/")
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Support board")
    page.get_by_role("combobox", name="Department").select_option(label="Support")
    page.get_by_label("Visible to").select_option(label="Department: Support")
    page.get_by_role("combobox", name="Team").select_option(label="No team")
    page.get_by_role("button", name="Save view").click()
    page.wait_for_load_state()
    view = SavedView.objects.get()
    assert (view.sharing, view.department) == (Sharing.DEPARTMENT, world.support)

    page.context.clear_cookies()
    sign_in(page.context, live_server.url, world.agent.user)
    page.goto("/desk/")
    page.wait_for_load_state()
    link = page.locator(f'[data-view="{view.pk}"]')
    expect(link).to_contain_text("Support board")
    expect(link).to_contain_text("shared")
    expect(link.locator(".count")).to_have_text("3")  # from the queue counters
    link.click()
    page.wait_for_load_state()
    expect(page.locator(".page-head")).to_contain_text("Shared with Support")
    expect(page.get_by_role("link", name="Edit view")).to_have_count(0)  # Sam's to change
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    shot(page, "views-4-shared")
