"""“I'm on it” with two agents in two Chromium browsers: Alice says she is on a
ticket (claiming it), Sam sees it on his open page of it without reloading and in
the queue, is asked before he takes it over, and Alice's page then says he did.
Screenshots in test-artifacts/desk/on-it-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.conftest import World
from helpline.desk import on_it
from helpline.tests.security.browser import sign_in
from helpline.tickets import lifecycle

# The buttons' words, with the typographic apostrophe the page shows.
ON_IT = "I\u2019m on it"
DONE = "I\u2019m done"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"
# A poll every 5 seconds: what one agent does shows on the other's page within two.
SEEN_WITHIN_MS = 12_000


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": Playwright hides the caret with a style attribute on each
    # element, which the reply editor would then copy (and the CSP refuse).
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def contexts(browser: Browser, live_server: Any) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    made = [
        browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        for _ in range(2)
    ]
    errors: list[str] = []
    for context in made:
        context.set_default_timeout(10_000)
        # No console error on either page, the marker's swaps included.
        context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield made[0], made[1]
    assert errors == [], errors
    for context in made:
        context.close()


def test_one_agent_is_on_it_and_the_other_sees_it_on_the_page_and_in_the_queue(
    contexts: tuple[BrowserContext, BrowserContext], world: World, live_server: Any
) -> None:
    ticket = world.open("VPN drops every hour")
    world.open("Printer prints blank pages")
    invoice = lifecycle.assign(
        world.open("Invoice address is wrong"), actor=world.supervisor, agent=world.supervisor
    )
    on_it.start(world.supervisor, invoice)
    alice_context, sam_context = contexts
    sign_in(alice_context, live_server.url, world.agent.user)
    sign_in(sam_context, live_server.url, world.supervisor.user)
    alice, sam = alice_context.new_page(), sam_context.new_page()
    url = f"/desk/tickets/{ticket.number}/"
    alice.goto(url)
    sam.goto(url)
    alice_box, sam_box = alice.locator("#on-it"), sam.locator("#on-it")
    expect(sam_box).to_have_attribute("aria-live", "polite")
    expect(alice_box).to_contain_text("Claims the ticket and tells colleagues")

    # Alice is on it: on an unassigned ticket that claims it, and the page reloads.
    with alice.expect_navigation():
        alice.get_by_role("button", name=ON_IT).click()
    expect(alice_box).to_contain_text("You are on it since")
    expect(alice.get_by_test_id("assignee")).to_have_text(world.agent.name)

    # Sam sees it on the page he had open, from the poll, without reloading.
    expect(sam_box).to_contain_text(f"{world.agent.name} is on it since", timeout=SEEN_WITHIN_MS)
    expect(sam.locator("#presence")).to_contain_text(
        f"{world.agent.name} is viewing", timeout=SEEN_WITHIN_MS
    )
    shot(sam, "on-it-ticket")

    # And in the queue, beside who it is assigned to.
    queue = sam_context.new_page()
    queue.goto("/desk/")
    row = queue.locator(f'tr[data-ticket="{ticket.number}"]')
    expect(row.get_by_test_id("on-it-badge")).to_have_text(f"{world.agent.name} is on it")
    mine = queue.locator(f'tr[data-ticket="{invoice.number}"]')
    expect(mine.get_by_test_id("on-it-badge")).to_have_text("You are on it")
    shot(queue, "on-it-queue")

    # Taking over asks first; "Cancel" leaves it with Alice.
    sam.get_by_role("button", name="Take over…").click()
    expect(sam_box).to_contain_text("take it over? They will see that you did.")
    sam.get_by_role("link", name="Cancel").click()
    expect(sam_box).to_contain_text(f"{world.agent.name} is on it since")
    assert on_it.current(ticket).agent == world.agent  # type: ignore[union-attr]

    # Confirmed, it is Sam's (htmx: the box alone changes, focus on its button),
    # and Alice's page says so by itself.
    sam.get_by_role("button", name="Take over…").click()
    sam.get_by_role("button", name="Take over", exact=True).click()
    expect(sam_box).to_contain_text("You are on it since")
    expect(sam.get_by_role("button", name=DONE)).to_be_focused()
    expect(alice_box).to_contain_text(
        f"{world.supervisor.name} took it over from you at", timeout=SEEN_WITHIN_MS
    )
    shot(alice, "on-it-taken-over")

    # Sam is done: the marker ends, and Alice may say she is on it again.
    sam.get_by_role("button", name=DONE).click()
    expect(sam.get_by_role("button", name=ON_IT)).to_be_visible()
    expect(alice.get_by_role("button", name=ON_IT)).to_be_visible(timeout=SEEN_WITHIN_MS)
    assert on_it.current(ticket) is None
