"""Every portal and rating page, opened in Chromium by a German browser, shows no
English word (helpline.tests.german): the pages of a guest, of a signed-in
customer, of a signed link, and the rating pages, with forms sent back with
errors where a page has them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page

from helpline.conftest import PASSWORD, World
from helpline.tests.german import english_on, german_context
from helpline.tickets import lifecycle
from helpline.tickets.links import rating_token, ticket_token
from helpline.tickets.models import EventKind, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = german_context(browser)
    yield context.new_page()
    context.close()


class Pages:
    """Opens pages and keeps what English each one shows, so one run reports all."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        lang = self.page.evaluate("() => document.documentElement.lang")
        if lang != "de":
            self.problems.append(f'{name}: <html lang="{lang}">')
        self.problems += [f"{name}: {finding}" for finding in english_on(self.page)]

    def visit(self, name: str, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None
        self.check(f"{name} ({response.status})")

    def submit(self, name: str, button: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_load_state()
        self.check(name)


def resolved_ticket(world: World) -> Ticket:
    ticket = world.open("Printer on fire")
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Have you tried water?</p>")
    return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")


def test_the_guest_pages_show_no_english(live_server, world: World, page: Page) -> None:
    pages = Pages(page, live_server.url)

    pages.visit("home", "/")
    pages.visit("open", "/open/")
    pages.submit("open, sent back", "Ticket eröffnen")
    page.get_by_label("Vollständiger Name").fill("Grete Gast")
    page.get_by_label("E-Mail-Adresse").fill("grete@example.net")
    page.get_by_label("Hilfethema").select_option(label="Printers")
    page.get_by_label("Betreff").fill("Drucker brennt")
    page.get_by_label("Beschreiben Sie das Problem").fill("Er qualmt.")
    pages.submit("thanks", "Ticket eröffnen")
    pages.visit("status", "/status/")
    page.get_by_label("E-Mail-Adresse").fill("grete@example.net")
    page.get_by_label("Ticketnummer").fill("1")
    pages.submit("status, sent", "Link per E-Mail senden")
    pages.visit("login", "/login/")
    page.get_by_label("E-Mail-Adresse").fill("nobody@example.net")
    page.get_by_label("Passwort").fill("wrong")
    pages.submit("login, refused", "Anmelden")
    pages.visit("register", "/register/")
    page.get_by_label("E-Mail-Adresse").fill("grete@example.net")
    pages.submit("register, sent", "Konto anlegen")
    pages.visit("password reset", "/password/reset/")
    page.get_by_label("E-Mail-Adresse").fill("grete@example.net")
    pages.submit("password reset, sent", "Link zusenden")
    pages.visit("password link, wrong", "/password/reset/MQ/nope-nope/")
    pages.visit("confirm link, wrong", "/register/confirm/MQ/nope/")
    pages.visit("ticket of somebody else", "/tickets/999999/")

    assert not pages.problems, "\n".join(pages.problems)


def test_a_customers_own_pages_show_no_english(live_server, world: World, page: Page) -> None:
    ticket = resolved_ticket(world)
    waiting = Status.objects.create(name="Waiting for parts", state="open", order=35)
    other = lifecycle.change_status(world.open("Toner"), actor=world.agent, status=waiting)
    pages = Pages(page, live_server.url)

    pages.visit("login", "/login/")
    page.get_by_label("E-Mail-Adresse").fill(world.customer.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    pages.submit("my tickets", "Anmelden")
    pages.visit("resolved ticket", f"/tickets/{ticket.number}/")
    pages.submit("resolved ticket, empty reply", "Antwort senden und wieder öffnen")
    pages.visit("ticket with an admin's status", f"/tickets/{other.number}/")
    page.get_by_label("Ihre Antwort").fill("Danke!")
    pages.submit("reply added", "Antwort senden")
    pages.visit("my tickets", "/my/")
    pages.visit("open, signed in", "/open/")
    pages.visit("status, signed in", "/status/")

    assert not pages.problems, "\n".join(pages.problems)
    # The admin's own status name is shown as typed, where the check does not read.
    assert page.locator('[translate="no"]').count() > 0


def test_the_signed_link_and_rating_pages_show_no_english(
    live_server, world: World, page: Page
) -> None:
    ticket = lifecycle.close(resolved_ticket(world), actor=world.agent)
    resolution = ticket.events.get(kind=EventKind.RESOLVED)
    pages = Pages(page, live_server.url)

    pages.visit("signed link, closed ticket", f"/t/{ticket_token(ticket)}/")
    pages.submit("signed link, rating left empty", "Bewertung senden")
    pages.visit("rating page", f"/rate/{rating_token(resolution)}/?score=bad")
    pages.submit("rated", "Bewertung senden")
    pages.visit("rated already", f"/rate/{rating_token(resolution)}/")
    pages.visit("rating link, broken", "/rate/not-a-token/")
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        old_ticket_link = ticket_token(ticket)
        old_rating_link = rating_token(resolution)
    pages.visit("ticket link, expired", f"/t/{old_ticket_link}/")
    pages.visit("rating link, expired", f"/rate/{old_rating_link}/")

    assert not pages.problems, "\n".join(pages.problems)
