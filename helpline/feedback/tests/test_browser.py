"""The rating link from the resolution mail, in a real Chromium, on a desktop and a
390 px phone. Screenshots go to test-artifacts/feedback/ for people to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from helpline.conftest import PASSWORD, World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets import lifecycle
from helpline.tickets.links import ticket_token
from helpline.tickets.models import EventKind, Rating, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "feedback"
SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "mobile": {"width": 390, "height": 844},
}


@pytest.fixture(params=sorted(SIZES))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    name = request.param
    context: BrowserContext = browser.new_context(
        viewport=SIZES[name], device_scale_factor=2 if name == "mobile" else 1
    )
    context.set_default_timeout(10_000)
    yield name, context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def mailed_link(ticket: Ticket, score: str) -> str:
    fan_out_pending()  # as the worker would (the live server queued the task)
    mail = OutboundMessage.objects.get(ticket=ticket, kind=MailKind.RESOLVED)
    found = re.search(rf"{score.title()}: (\S+\?score={score})", mail.text)
    assert found is not None, mail.text
    return found.group(1)


def test_ken_rates_the_answer_bad_from_the_mail_link(
    live_server, world: World, screen: tuple[str, Page], settings
) -> None:
    size, page = screen
    settings.HELPLINE_BASE_URL = live_server.url
    ticket = world.open(
        "Printer on fire",
        body_html="<p>The office printer smokes whenever somebody prints in colour.</p>",
    )
    lifecycle.resolve(
        ticket,
        actor=world.agent,
        explanation_html=(
            "<p>Hello Ken,</p><p>we replaced the fuser unit and cleaned the paper path. "
            "The printer passed a 200-page colour test.</p><p>Alice</p>"
        ),
    )

    # The link in the mail, followed from the mail client: no login.
    page.goto(mailed_link(ticket, "bad"))
    expect(page.get_by_role("heading", name="Printer on fire")).to_be_visible()
    expect(page.get_by_text("we replaced the fuser unit")).to_be_visible()
    expect(page.get_by_label("Bad")).to_be_checked()  # preselected by the mail link
    page.get_by_text("Good", exact=True).click()  # a change of mind, then back
    expect(page.get_by_label("Good")).to_be_checked()
    page.get_by_text("Bad", exact=True).click()
    expect(page.get_by_label("Bad")).to_be_checked()
    page.get_by_label("Anything you would like to tell us?").fill(
        "It works now, but it took three days and nobody told me what was going on."
    )
    shot(page, f"01-rate-{size}")

    page.get_by_role("button", name="Send rating").click()

    expect(page.get_by_role("heading", name="Thank you for your rating")).to_be_visible()
    expect(page.get_by_text("nobody told me")).to_be_visible()
    shot(page, f"02-thanks-{size}")
    rating = Rating.objects.get()
    assert rating.score == "bad" and rating.comment.startswith("It works now")
    assert ticket.events.filter(kind=EventKind.RATED).count() == 1

    # The same link again: already rated, with the earlier rating.
    page.goto(mailed_link(ticket, "good"))
    expect(page.get_by_text("You already rated this answer; thank you.")).to_be_visible()
    shot(page, f"03-already-rated-{size}")

    # The portal's ticket page shows the rating given.
    page.goto(f"{live_server.url}/t/{ticket_token(ticket)}/")
    expect(page.get_by_role("heading", name="Your rating")).to_be_visible()
    shot(page, f"04-portal-rated-{size}")

    # Alice sees it on the desk: in the Details card and the timeline.
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("alice.agent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    expect(page.get_by_test_id("rating")).to_contain_text("Bad")
    expect(page.get_by_test_id("timeline")).to_contain_text("Ken Adams rated the answer Bad")
    shot(page, f"06-desk-{size}")


def test_the_portal_card_invites_and_records_a_rating(
    live_server, world: World, screen: tuple[str, Page]
) -> None:
    size, page = screen
    ticket = world.open("Scanner jams")
    lifecycle.resolve(
        ticket, actor=world.agent, explanation_html="<p>The rollers were worn; replaced.</p>"
    )

    page.goto(f"{live_server.url}/t/{ticket_token(ticket)}/")
    card = page.get_by_test_id("rate-card")
    expect(card.get_by_text("How did we do?")).to_be_visible()
    card.get_by_text("Good", exact=True).click()
    shot(page, f"05-portal-card-{size}")
    card.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("Thank you for rating our answer.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your rating")).to_be_visible()
    assert Rating.objects.get().score == "good"
