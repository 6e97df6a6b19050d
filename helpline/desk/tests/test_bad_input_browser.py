"""Bad input on the desk, in a real Chromium, as an agent in Tokyo meets it: the
due-date picker keeps to the range of dates and the server's refusal keeps what
was typed; a queue link with a filter that cannot be an id says so and offers to
clear it; a report period at Python's edge says which date is wrong; the edit
form offers only the topics of the ticket's department. Screenshots go to
test-artifacts/desk/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.accounts.models import Agent
from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/desk/login/")
    page.get_by_label("Username").fill("mia.chen")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open")).to_be_visible()


def test_an_agent_in_tokyo_meets_every_kind_of_bad_input_and_each_says_what_is_wrong(
    live_server: Any, page: Page
) -> None:
    load_demo()
    mia = Agent.objects.get(user__username="mia.chen")
    mia.timezone = "Asia/Tokyo"
    mia.save()
    ticket = Ticket.objects.filter(department__in=mia.access.values("department")).first()
    assert ticket is not None
    base = live_server.url
    sign_in(page, base)

    # The due date: the picker keeps to the range, as Tokyo (UTC+9) reads it...
    page.goto(f"{base}/desk/tickets/{ticket.number}/")
    page.get_by_text("Set the due date").click()
    due = page.locator("#due-due_at")
    assert (due.get_attribute("min"), due.get_attribute("max")) == (
        "2000-01-01T09:00",
        "2100-01-01T08:59",
    )
    due.fill("9999-12-31T23:59")
    assert page.evaluate("document.getElementById('due-due_at').validity.rangeOverflow")
    # ...and a browser that lets it through (or a script) hears it from the server,
    # with what was typed still there.
    page.evaluate("document.querySelector('#action-due form').noValidate = true")
    page.get_by_role("button", name="Set due date").click()
    expect(page.locator("#action-due")).to_contain_text(
        "Give a date between 2000-01-01 and 2099-12-31."
    )
    expect(page.locator("#due-due_at")).to_have_value("9999-12-31T23:59")
    assert_accessible_controls(page)
    page.locator("#action-due").scroll_into_view_if_needed()
    shot(page, "due-date-out-of-range")
    assert Ticket.objects.get(pk=ticket.pk).due_is_manual is False

    # The edit form offers the topics of the ticket's department only.
    offered = page.evaluate(
        "Array.from(document.querySelectorAll('#edit-topic option[value]:not([value=\"\"])'))"
        ".map(o => o.textContent)"
    )
    own = set(ticket.department.topics.filter(is_active=True).values_list("name", flat=True))
    assert set(offered) == own

    # A queue link with a filter that cannot be an id.
    response = page.goto(f"{base}/desk/queues/open/?department=99999999999999999999999")
    assert response is not None and response.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The “department” filter must be the number of a department")
    shot(page, "queue-bad-filter")
    alert.get_by_role("link", name="Clear filters").click()
    expect(page.locator("table.list tbody tr[data-ticket]").first).to_be_visible()

    # A report period at Python's edge.
    response = page.goto(
        f"{base}/desk/reports/?preset=custom&start=9999-12-31&end=9999-12-31&tz=Asia/Tokyo"
    )
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text(
        "The start date (9999-12-31) is outside the dates reports cover."
    )
    expect(page.get_by_label("From", exact=True)).to_have_value("9999-12-31")
    assert_accessible_controls(page)
    shot(page, "report-out-of-range")
