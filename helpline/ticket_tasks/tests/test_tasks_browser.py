"""Tasks inside tickets in a real Chromium: a "new employee" ticket opens with its
help topic's tasks, Alice adds one, the ticket refuses to close and names them,
she works them from "My tasks" and the ticket's card, and then it closes. Also
at a phone's width. Screenshots go to test-artifacts/tasks/ for people to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect

from helpline.conftest import World
from helpline.tests.a11y import assert_accessible_controls
from helpline.tests.security.browser import sign_in
from helpline.ticket_tasks.models import Task, TaskState, TaskTemplate
from helpline.tickets.models import HelpTopic, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "tasks"
PHONE: ViewportSize = {"width": 390, "height": 844}
WIDE: ViewportSize = {"width": 1280, "height": 900}


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": Playwright hides the caret with a style attribute on each
    # element, which the CSP would refuse on the desk's pages.
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def page(browser: Browser, live_server: Any, world: World) -> Iterator[Page]:
    """Alice's page; no console error allowed on it (but the status of a page
    itself: a refused change answers 400 on purpose)."""
    context = browser.new_context(viewport=WIDE, base_url=live_server.url)
    context.set_default_timeout(10_000)
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        url = message.location.get("url")
        own_status = url == page.url and message.text.startswith("Failed to load resource")
        if message.type == "error" and not own_status:
            errors.append(f"{url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], errors
    context.close()


@pytest.fixture
def onboarding(world: World) -> Ticket:
    """Ken's "new employee" ticket, opened with its topic's two tasks: the
    account for the team Level II, the laptop for Alice (due in three days)."""
    topic = HelpTopic.objects.create(
        name="New employee", department=world.support, priority=world.topic.priority
    )
    TaskTemplate.objects.create(topic=topic, title="Create account", team=world.team, order=1)
    TaskTemplate.objects.create(
        topic=topic, title="Order laptop", assignee=world.agent, due_hours=72, order=2
    )
    return world.open("Nina Kowalski starts on Monday", topic=topic)


def click_and_load(page: Page, locator: Any) -> None:
    locator.click()
    page.wait_for_load_state()


def test_open_tasks_block_closing_until_they_are_done(
    page: Page, world: World, onboarding: Ticket
) -> None:
    ticket_url = f"/desk/tickets/{onboarding.number}/"
    page.goto(ticket_url)
    card = page.get_by_test_id("tasks")
    expect(card).to_contain_text("Create account")
    expect(card).to_contain_text("Order laptop")
    expect(page.get_by_test_id("timeline")).to_contain_text("added the task Order laptop")

    # Alice adds a task of her own from the card.
    card.get_by_label("New task").fill("Order a badge")
    click_and_load(page, card.get_by_role("button", name="Add task"))
    expect(page.get_by_text("Task “Order a badge” added.")).to_be_visible()
    expect(page.get_by_test_id("tasks-open")).to_have_text("3 open")
    shot(page, "ticket-with-tasks")

    # Closing is refused, naming the open tasks.
    page.locator("#action-close summary").click()
    page.locator("#close-reason").fill("Nina is set up")
    click_and_load(page, page.get_by_role("button", name="Close ticket"))
    alert = page.locator("#action-error")
    expect(alert).to_have_text(
        f"Ticket #{onboarding.number} has open tasks: Create account, Order laptop, "
        "Order a badge. Mark them done first."
    )
    expect(page.locator("#close-reason")).to_have_value("Nina is set up")
    expect(page.get_by_test_id("status")).to_have_text("Open")
    alert.scroll_into_view_if_needed()
    shot(page, "close-refused")

    # My tasks: the laptop is Alice's, the account her team's; the count says 2.
    click_and_load(page, page.get_by_test_id("my-tasks-link"))
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.get_by_test_id("my-tasks-count")).to_have_text("2")
    rows = page.locator("tbody tr[data-task]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Order laptop")  # the one with a due date first
    expect(rows.nth(1)).to_contain_text("Level II")
    shot(page, "my-tasks")

    # The account, on its own page: a note, then done.
    click_and_load(page, page.get_by_role("link", name="Create account"))
    page.get_by_label("Note (agents only)").fill("Account nina.k created, password sent.")
    click_and_load(page, page.get_by_role("button", name="Add note"))
    expect(page.get_by_text("Note added.")).to_be_visible()
    click_and_load(page, page.get_by_role("button", name="Mark done"))
    expect(page.get_by_text("Task marked done.")).to_be_visible()
    expect(page.get_by_test_id("task-state")).to_have_text("Done")
    expect(page.get_by_test_id("task-history")).to_contain_text("marked the task done")
    shot(page, "task-done")

    # The other two from the ticket's card; then the ticket closes.
    click_and_load(page, page.get_by_role("link", name="Back to the ticket"))
    for title in ("Order laptop", "Order a badge"):
        click_and_load(page, card.get_by_role("button", name=f"Mark “{title}” done"))
        expect(page.get_by_text("Task marked done.")).to_be_visible()
    expect(page.get_by_test_id("tasks-open")).to_have_text("All done")
    page.locator("#action-close summary").click()
    click_and_load(page, page.get_by_role("button", name="Close ticket"))
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    expect(page.get_by_test_id("timeline")).to_contain_text("marked the task Order a badge done")
    shot(page, "closed-after-tasks")

    assert set(Task.objects.values_list("state", flat=True)) == {TaskState.DONE}
    assert Ticket.objects.get(pk=onboarding.pk).status.purpose == "closed"


def test_the_task_pages_fit_a_phone(page: Page, world: World, onboarding: Ticket) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/desk/tasks/")
    expect(page.locator("tbody tr[data-task]")).to_have_count(2)
    shot(page, "my-tasks-phone")

    click_and_load(page, page.get_by_role("link", name="Order laptop"))
    expect(page.get_by_role("heading", name="Order laptop")).to_be_visible()
    shot(page, "task-phone")

    page.goto(f"/desk/tickets/{onboarding.number}/")
    card = page.get_by_test_id("tasks")
    card.scroll_into_view_if_needed()
    expect(card).to_contain_text("Create account")
    card.screenshot(path=str(ARTIFACTS / "ticket-card-phone.png"), caret="initial")
    # Nothing runs off the side of the screen.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
