"""The people in copy on the portal, in Chromium: Ken copies Olive on his ticket;
she finds it under "My tickets" and answers it there. Screenshots in
test-artifacts/portal/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from helpline.conftest import World
from helpline.tests.security.browser import sign_in
from helpline.tickets.models import Entry, EntryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "portal"


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    made.set_default_timeout(10_000)
    yield made
    made.close()


def test_the_customer_copies_someone_who_answers_on_the_portal(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    ticket = world.open("Invoice address is wrong")
    assert world.customer.user is not None and world.outsider.user is not None
    sign_in(context, live_server.url, world.customer.user)
    page = context.new_page()
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_text("Copy someone on this ticket").click()
    page.get_by_label("Email").fill("olive@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add", exact=True).click()
    people = page.locator("#people")
    expect(people).to_contain_text("olive@example.org")  # as typed
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "now gets the replies of this ticket"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "people.png"), full_page=True)

    context.clear_cookies()
    sign_in(context, live_server.url, world.outsider.user)
    page.goto("/my/")
    page.get_by_role("link", name=f"#{ticket.number} Invoice address is wrong").click()
    page.get_by_label("Your reply").fill("The address should be Main Street 1.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".thread")).to_contain_text("Main Street 1")
    # Olive sees who is on it, and changes nobody.
    expect(page.locator("#people")).to_contain_text(world.customer.name)
    expect(page.locator("#people").get_by_role("button")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "people-copied.png"), full_page=True)
    entry = Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).latest("id")
    assert entry.customer_id == world.outsider.pk
