"""Two agents on one ticket, in two Chromium browsers: each sees the other there
and typing, a draft survives a reload, and the second reply is held back once
with what changed, then sent on request. Screenshots in test-artifacts/desk/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.conftest import World
from helpline.desk.models import Draft
from helpline.tests.security.browser import sign_in
from helpline.tickets.models import EntryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"
# A poll every 5 seconds: what one agent does shows on the other's page within two.
SEEN_WITHIN_MS = 12_000


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def contexts(browser: Browser, live_server: Any) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    made = [
        browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        for _ in range(2)
    ]
    for context in made:
        context.set_default_timeout(10_000)
    yield made[0], made[1]
    for context in made:
        context.close()


def test_two_agents_see_each_other_and_the_second_reply_is_held_once(
    contexts: tuple[BrowserContext, BrowserContext], world: World, live_server: Any
) -> None:
    ticket = world.open("VPN drops every hour")
    alice_context, sam_context = contexts
    sign_in(alice_context, live_server.url, world.agent.user)
    sign_in(sam_context, live_server.url, world.supervisor.user)
    alice, sam = alice_context.new_page(), sam_context.new_page()
    url = f"/desk/tickets/{ticket.number}/"
    alice.goto(url)
    sam.goto(url)

    # Each sees the other on the ticket.
    alice_bar, sam_bar = alice.locator("#presence"), sam.locator("#presence")
    expect(alice_bar).to_contain_text(f"{world.supervisor.name} is viewing", timeout=SEEN_WITHIN_MS)
    expect(sam_bar).to_contain_text(f"{world.agent.name} is viewing", timeout=SEEN_WITHIN_MS)

    # Alice writes: it is saved as a draft, and survives a reload.
    alice.get_by_label("Reply to the customer").fill("Let me check the VPN logs.")
    expect(alice.locator("#draft-reply")).to_contain_text("Draft saved at")
    expect(sam_bar).to_contain_text(f"{world.agent.name} is typing a reply", timeout=SEEN_WITHIN_MS)
    shot(sam, "together-typing")
    alice.reload()
    expect(alice.get_by_label("Reply to the customer")).to_have_text("Let me check the VPN logs.")
    expect(alice.locator("#draft-reply")).to_contain_text("Draft saved at")

    # Sam answers first; Alice's page says so before she sends.
    sam.get_by_label("Reply to the customer").fill("Fixed on our side, please retry.")
    with sam.expect_navigation():
        sam.get_by_role("button", name="Send reply").click()
    warning = alice.get_by_test_id("changed-since")
    expect(warning).to_contain_text(
        "This ticket changed since you opened it.", timeout=SEEN_WITHIN_MS
    )
    expect(warning).to_contain_text(world.supervisor.name)
    shot(alice, "together-changed")

    # She sends anyway: held back once, with what changed, her text kept.
    alice.get_by_role("button", name="Send reply").click()
    expect(alice.locator("#action-error")).to_contain_text("Others changed this ticket")
    expect(alice.get_by_test_id("conflict-changes")).to_contain_text(world.supervisor.name)
    expect(alice.get_by_label("Reply to the customer")).to_have_text("Let me check the VPN logs.")
    shot(alice, "together-held")
    with alice.expect_navigation():
        alice.get_by_role("button", name="Send anyway").click()
    expect(alice.get_by_text("Let me check the VPN logs.")).to_be_visible()
    assert ticket.entries.filter(kind=EntryKind.REPLY).count() == 2
    assert not Draft.objects.exists()
