"""The walkthrough our users know, end to end in a real Chromium.

Ken opens three tickets on the portal; Jane Doe (administrator) sees them on her
dashboard and assigns the hardware refresh inquiry to John Doe; John replies and
sets In Progress; Jane resolves it with an explanation and closes it; Ken replies
and it reopens. At each step the test checks what each person sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.models import EventKind, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "walkthrough"

KEN = {"name": "Ken Adams", "email": "ken@example.com", "phone": "555-0100"}
TICKETS = [
    (
        "Critical Business Issue",
        "Order system down in every store",
        "No store can enter orders since 9:00.",
        {"Who is affected?": "Whole company"},
    ),
    (
        "Personal Computer Issues",
        "Laptop will not start after the update",
        "Black screen after last night's updates.",
        {"Asset tag": "LT-0427"},
    ),
    (
        "General Inquiry",
        "Hardware refresh inquiry",
        "Accounting needs new tablets. What is the process for hardware updates?",
        {},
    ),
]


@pytest.fixture
def people(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    contexts = {who: browser.new_context() for who in ("ken", "jane", "john")}
    for context in contexts.values():
        context.set_default_timeout(10_000)
    yield contexts
    for context in contexts.values():
        context.close()


def shot(page: Page, name: str) -> None:
    """Save a screenshot for people to look at, and check the page's controls."""
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def desk_login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/desk/login/")
    assert_accessible_controls(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open", exact=True)).to_be_visible()


def timeline(page: Page):
    return page.get_by_test_id("timeline")


def test_the_walkthrough_from_intake_to_reopening(
    live_server, people: dict[str, BrowserContext]
) -> None:
    base = live_server.url
    load_demo(with_tickets=False)
    ken, jane, john = (people[w].new_page() for w in ("ken", "jane", "john"))

    # 1. Ken opens his three tickets on the portal.
    links: dict[str, str] = {}
    for topic, subject, description, extra in TICKETS:
        ken.goto(base + "/")
        ken.get_by_role("link", name="Open a New Ticket").first.click()
        ken.get_by_label("Full name").fill(KEN["name"])
        ken.get_by_label("Email address").fill(KEN["email"])
        ken.get_by_label("Phone number").fill(KEN["phone"])
        ken.get_by_label("Help topic").select_option(label=topic)
        for label, value in extra.items():
            field = ken.get_by_label(label)
            expect(field).to_be_visible()  # the topic's own fields appear when chosen
            if field.evaluate("el => el.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        assert_accessible_controls(ken)
        ken.get_by_label("Subject").fill(subject)
        ken.get_by_label("Describe the problem").fill(description)
        ken.get_by_role("button", name="Open ticket").click()
        number = ken.locator(".ticket-number").inner_text().strip()
        assert re.fullmatch(r"\d{6}", number)
        links[subject] = ken.locator("a.signed-link").get_attribute("href") or ""
        if subject == "Hardware refresh inquiry":
            shot(ken, "01-ken-ticket-opened")
    hardware = Ticket.objects.get(subject="Hardware refresh inquiry")
    outage = Ticket.objects.get(subject="Order system down in every store")
    assert outage.priority.name == "Emergency" and outage.sla and outage.sla.resolution_hours == 1
    assert outage.extra == {"impact": "Whole company"}

    # 2. Jane signs in and sees the three tickets, open and unassigned.
    desk_login(jane, base, "jane.doe")
    rows = jane.locator("tbody tr[data-ticket]")
    expect(rows).to_have_count(3)
    for _, subject, _, _ in TICKETS:
        expect(jane.get_by_role("link", name=subject)).to_be_visible()
    expect(jane.locator("a[data-queue=unassigned] .count")).to_have_text("3")
    shot(jane, "02-jane-dashboard")

    # 3. Jane assigns the hardware refresh inquiry to John Doe.
    jane.get_by_role("link", name="Hardware refresh inquiry").click()
    expect(jane.get_by_role("heading", name="Hardware refresh inquiry")).to_be_visible()
    # Every action an administrator has, opened at once: all labelled, no id twice.
    jane.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    jane.get_by_role("tab", name="Internal note").click()
    shot(jane, "03a-jane-ticket-all-actions")
    jane.reload()
    jane.locator("#action-assign summary").click()
    jane.locator("#action-assign").get_by_label("Agent").select_option(label="John Doe")
    jane.locator("#action-assign").get_by_role("button", name="Assign").click()
    expect(jane.get_by_text("Ticket assigned.")).to_be_visible()
    expect(jane.get_by_test_id("assignee")).to_have_text("John Doe")
    expect(timeline(jane)).to_contain_text("Jane Doe assigned John Doe")
    jane.get_by_role("link", name="Back to tickets").click()
    row = jane.locator(f"tr[data-ticket='{hardware.number}']")
    expect(row.locator("td.assignee")).to_have_text("John Doe")
    expect(jane.locator("a[data-queue=unassigned] .count")).to_have_text("2")
    shot(jane, "03-jane-dashboard-assigned")

    # 4. John signs in, finds it in My Tickets, replies to Ken and sets In Progress.
    desk_login(john, base, "john.doe")
    expect(john.locator("a[data-queue=mine] .count")).to_have_text("1")
    john.locator("a[data-queue=mine]").click()
    expect(john.locator("tbody tr[data-ticket]")).to_have_count(1)
    john.get_by_role("link", name="Hardware refresh inquiry").click()
    # The page's scripts have run: the reply box is the editor now (editor.js).
    john.wait_for_load_state()
    john.get_by_label("Reply to the customer").fill(
        "Hi Ken, I am checking with HR about new tablets and will get back to you."
    )
    john.get_by_label("Set status").select_option(label="In Progress")
    john.get_by_role("button", name="Send reply").click()
    expect(john.get_by_text("Reply sent.")).to_be_visible()
    expect(john.get_by_test_id("status")).to_have_text("In Progress")
    expect(timeline(john)).to_contain_text("John Doe replied to the customer")
    expect(timeline(john)).to_contain_text("changed the status from Open to In Progress")
    shot(john, "04-john-replied")

    # Ken sees John's answer and the new status; internal notes never reach him.
    ken.goto(links["Hardware refresh inquiry"])
    expect(ken.get_by_text("I am checking with HR")).to_be_visible()
    expect(ken.get_by_text("In Progress").first).to_be_visible()

    # 5. Jane resolves it with an explanation, then closes it.
    jane.goto(f"{base}/desk/tickets/{hardware.number}/")
    jane.get_by_role("tab", name="Internal note").click()
    jane.get_by_label("Internal note (agents only)").fill("HR approved the budget.")
    jane.get_by_role("button", name="Add internal note").click()
    expect(jane.get_by_text("Internal note added.")).to_be_visible()
    jane.locator("#action-resolve summary").click()
    jane.get_by_label("Resolution (the customer sees this)").fill(
        "HR gave the green light: new tablets for accounting are ordered."
    )
    jane.get_by_role("button", name="Resolve ticket").click()
    expect(jane.get_by_test_id("status")).to_have_text("Resolved")
    expect(timeline(jane)).to_contain_text("Jane Doe resolved the ticket")
    shot(jane, "05-jane-resolved")
    jane.locator("#action-close summary").click()
    jane.get_by_role("button", name="Close ticket").click()
    expect(jane.get_by_test_id("status")).to_have_text("Closed")
    expect(timeline(jane)).to_contain_text("Jane Doe closed the ticket")

    # Ken sees the resolution, not the internal note.
    ken.goto(links["Hardware refresh inquiry"])
    expect(ken.get_by_text("new tablets for accounting are ordered")).to_be_visible()
    expect(ken.get_by_text("HR approved the budget")).to_have_count(0)
    shot(ken, "06-ken-sees-resolution")

    # 6. Ken writes back; the ticket reopens.
    ken.get_by_label("Your reply").fill("Thanks! Could we also get two keyboards?")
    ken.get_by_role("button", name="Send reply and reopen").click()
    expect(ken.get_by_text("Could we also get two keyboards?")).to_be_visible()

    jane.reload()
    expect(jane.get_by_test_id("status")).to_have_text("Open")
    expect(timeline(jane)).to_contain_text("Ken Adams reopened the ticket")
    expect(jane.get_by_text("Could we also get two keyboards?")).to_be_visible()
    shot(jane, "07-jane-sees-reopened")

    hardware.refresh_from_db()
    assert hardware.reopen_count == 1
    assert list(hardware.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.STATUS,
        EventKind.NOTE,
        EventKind.RESOLVED,
        EventKind.CLOSED,
        EventKind.CUSTOMER_REPLIED,
        EventKind.REOPENED,
    ]
