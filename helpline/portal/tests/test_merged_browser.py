"""Merged and linked tickets on the portal, in Chromium: Ken follows his merged
ticket's number to the ticket that stayed and sees its linked tickets; Olive's
signed link of her merged report says where it went. Screenshots in
test-artifacts/portal/merged-*.png (at 1280 and at 390 pixels wide)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.conftest import World
from helpline.tests.a11y import assert_accessible_controls
from helpline.tests.security.browser import sign_in
from helpline.tickets import lifecycle
from helpline.tickets.links import ticket_path
from helpline.tickets.models import LinkKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "portal"


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True, caret="initial")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    made.set_default_timeout(10_000)
    errors: list[str] = []
    made.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield made
    assert errors == [], errors
    made.close()


def test_ken_follows_his_merged_number_to_the_ticket_that_stayed(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    outage = world.open("Mail server down", body_html="<p>Nobody in our office gets mail.</p>")
    keep = world.open("No mail since 9:00", body_html="<p>My inbox is empty.</p>")
    dup = world.open("Still no mail", body_html="<p>Still nothing at 10:00.</p>")
    lifecycle.link(outage, other=keep, kind=LinkKind.PARENT, actor=world.agent)
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.reply(keep, actor=world.agent, body_html="<p>The mail server is being repaired.</p>")
    assert world.customer.user is not None
    sign_in(context, live_server.url, world.customer.user)
    page = context.new_page()

    page.goto(f"/tickets/{dup.number}/")
    expect(page).to_have_url(f"{live_server.url}/tickets/{keep.number}/")
    expect(page.get_by_text(f"Ticket #{dup.number} was merged into #{keep.number}")).to_be_visible()
    expect(page.locator("article.entry")).to_have_count(3)
    links = page.get_by_test_id("links")
    expect(links).to_contain_text(f"Part of #{outage.number} Mail server down")
    expect(links).to_contain_text(f"Merged into this one #{dup.number}")
    shot(page, "merged-survivor")


def test_olives_link_to_her_merged_report_says_where_it_went(
    context: BrowserContext, world: World
) -> None:
    keep = world.open("Mail server down")
    dup = world.open("No mail", customer=world.outsider, actor=world.outsider)
    link = ticket_path(dup)
    lifecycle.merge(dup, into=keep, actor=world.agent)
    page = context.new_page()

    page.goto(link)
    merged = page.get_by_test_id("merged")
    expect(merged).to_contain_text(f"This ticket was merged into ticket #{keep.number}")
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    shot(page, "merged-signed-link")
