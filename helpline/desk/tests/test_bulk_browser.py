"""A bulk close in Chromium: a supervisor ticks the whole page of the open queue,
takes every matching ticket (30, over two pages), closes them with one reason;
the worker runs the job while the page shows its progress, and the result names
the two tickets it refused and why (one has an open task, a colleague closed the
other meanwhile). Screenshots in test-artifacts/desk/bulk-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.bulk.models import BulkJob, JobState
from helpline.conftest import World
from helpline.notify.tests.helpers import run_worker
from helpline.tests.security.browser import sign_in
from helpline.ticket_tasks.lifecycle import add_task
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, State, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield context.new_page()
    assert errors == [], errors
    context.close()


def test_a_bulk_close_of_thirty_tickets_with_two_refused(
    page: Page, world: World, live_server: Any
) -> None:
    tickets = [world.open(f"Outage report {i:02}") for i in range(30)]
    tasked = tickets[7]
    add_task(tasked, actor=world.supervisor, title="Replace the router")
    sign_in(page.context, live_server.url, world.supervisor.user)
    page.goto("/desk/")

    bar = page.locator("#bulk-form")
    expect(bar).to_contain_text("Tick tickets to act on several at once.")
    page.get_by_label("Select every ticket on this page").check()
    expect(bar).to_contain_text("25 tickets selected")
    page.get_by_role("button", name="Select every ticket that matches these filters").click()
    expect(bar).to_contain_text("All 30 matching tickets are selected.")
    page.get_by_label("Action").select_option("close")
    expect(page.get_by_label("Agent", exact=True)).to_be_hidden()  # only the action's own inputs
    page.get_by_label("Reason or comment (optional)").fill("One outage: fixed at the source")
    shot(page, "bulk-1-selected")

    page.get_by_role("button", name="Apply to selected").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Bulk action: Close")).to_be_visible()
    expect(page.locator("#bulk-progress")).to_contain_text("Waiting for the worker")
    shot(page, "bulk-2-waiting")
    job = BulkJob.objects.get()
    assert (job.total, job.state) == (30, JobState.PENDING)  # over 25: the worker's

    # Meanwhile a colleague closes one of them.
    written = tickets[3]
    lifecycle.close(written, actor=world.admin, reason="Answered by phone")

    run_worker()

    summary = page.get_by_test_id("bulk-summary")
    expect(summary).to_have_text("28 closed; 2 refused.", timeout=15_000)
    expect(page.locator(f'[data-refused="{written.number}"]')).to_contain_text("closed")
    expect(page.locator(f'[data-refused="{tasked.number}"]')).to_contain_text(
        "has an open task: Replace the router"
    )
    shot(page, "bulk-3-result")
    states = dict(Ticket.objects.values_list("number", "state"))
    assert sum(state == State.CLOSED for state in states.values()) == 29  # 28 + the colleague's
    assert states[written.number] == State.CLOSED  # by the colleague, once
    assert Event.objects.filter(ticket=written, kind=EventKind.CLOSED).count() == 1

    page.get_by_role("link", name="Back to the queue").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Open")).to_be_visible()
    shot(page, "bulk-4-queue-after")


def test_the_selection_bar_at_phone_width(page: Page, world: World, live_server: Any) -> None:
    for i in range(3):
        world.open(f"Printer {i}")
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page.context, live_server.url, world.supervisor.user)
    page.goto("/desk/")
    page.get_by_label(f"Select ticket #{Ticket.objects.first().number}").check()  # type: ignore[union-attr]
    page.get_by_label("Action").select_option("assign")
    expect(page.get_by_label("Agent", exact=True)).to_be_visible()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "bulk-5-phone")


def test_the_keyboard_moves_through_a_queue_ticks_and_closes(
    page: Page, world: World, live_server: Any
) -> None:
    tickets = [world.open(f"Printer {i}") for i in range(3)]
    newest_first = list(reversed(tickets))
    sign_in(page.context, live_server.url, world.supervisor.user)
    page.goto("/desk/")

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    shot(page, "bulk-6-keys")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    page.keyboard.press("j")
    page.keyboard.press("j")
    current = page.locator("tr.is-current")
    expect(current).to_have_attribute("data-ticket", newest_first[1].number)
    page.keyboard.press("k")
    expect(current).to_have_attribute("data-ticket", newest_first[0].number)
    page.keyboard.press("x")
    expect(page.locator("#bulk-form")).to_contain_text("1 ticket selected")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#bulk-form")).to_contain_text("2 tickets selected")

    page.keyboard.press("e")  # close the two ticked: the reason's box has the focus
    expect(page.get_by_label("Action")).to_have_value("close")
    page.keyboard.type("Fixed upstream")
    shot(page, "bulk-7-keyboard-close")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("2 closed.")

    page.goto("/desk/")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/desk/tickets/{newest_first[2].number}/")


def test_next_ticket_pressed_by_two_agents_at_once_gives_each_their_own(
    browser: Browser, world: World, live_server: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    for hours, subject in ((1, "Due first"), (2, "Due second"), (3, "Due third")):
        ticket = world.open(subject)
        Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() + timedelta(hours=hours))
    pages = []
    for agent in (world.agent, world.supervisor):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        sign_in(context, live_server.url, agent.user)
        page = context.new_page()
        page.goto("/desk/")
        pages.append(page)

    for page in pages:  # both sent before either answer comes
        page.get_by_role("button", name="Next ticket").click(no_wait_after=True)
    for page in pages:
        page.wait_for_url("**/desk/tickets/*/")
        expect(page.locator(".messages")).to_contain_text("is yours now")

    subjects = [page.locator("h1").inner_text() for page in pages]
    assert sorted(subjects) == ["Due first", "Due second"], subjects
    shot(pages[0], "next-ticket-alice")
    shot(pages[1], "next-ticket-sam")
    owners = dict(Ticket.objects.values_list("subject", "assignee"))
    assert {owners["Due first"], owners["Due second"]} == {world.agent.pk, world.supervisor.pk}
    for page in pages:
        page.context.close()


def test_an_agent_says_they_are_away_and_back(page: Page, world: World, live_server: Any) -> None:
    sign_in(page.context, live_server.url, world.agent.user)
    page.goto("/desk/profile/")
    from datetime import UTC, datetime, timedelta

    back = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    page.get_by_label("Back at (optional, your time zone)").fill(back)
    page.get_by_role("button", name="I\u2019m away").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("away-badge")).to_be_visible()
    expect(page.locator("#away")).to_contain_text("You are away until")
    shot(page, "away-1-set")
    page.get_by_role("button", name="I\u2019m back").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("away-badge")).to_have_count(0)
    shot(page, "away-2-back")


def test_the_queue_keys_leave_links_and_boxes_their_own_keys(
    page: Page, world: World, live_server: Any
) -> None:
    for i in range(2):
        world.open(f"Printer {i}")
    sign_in(page.context, live_server.url, world.supervisor.user)
    page.goto("/desk/")
    page.keyboard.press("j")
    first = page.locator("tr.is-current").get_attribute("data-ticket")

    page.locator('input[name="t"]').nth(1).click()  # a mouse tick: the keys still work
    page.keyboard.press("k")
    expect(page.locator("tr.is-current")).to_have_attribute("data-ticket", first or "")

    page.locator("#main").get_by_role("link", name="New ticket").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the link's, not the current row's
    assert page.url.endswith("/desk/tickets/new/")
