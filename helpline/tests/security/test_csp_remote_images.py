"""Remote images in messages: shown as a link naming the host on every page that
shows a thread entry (desk, portal, signed link, rating page), never fetched, and
no CSP violation in Chromium. The rewrite itself: helpline/lib/tests/test_remote_images.py."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Request, expect

from helpline.conftest import World
from helpline.tests.security.browser import Watch, sign_in
from helpline.tickets import lifecycle
from helpline.tickets.links import rating_path, ticket_path
from helpline.tickets.models import Event, EventKind, Ticket

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "csp"
PIXEL = "https://tracker.example.com/open.gif?who=ken"
BODY = f'<p>See the error:</p><p><img src="{PIXEL}" alt="screenshot"><img src="cid:part1@x"></p>'
PLACEHOLDER = "Remote image “screenshot” from tracker.example.com blocked — open"


def opened(world: World) -> Ticket:
    ticket = world.open(body_html=BODY)
    # An agent answering by mail can send a remote image too (a signature logo).
    return lifecycle.reply(ticket, actor=world.agent, body_html=f'<p>Done <img src="{PIXEL}"></p>')


def assert_blocked(html: str) -> None:
    assert PIXEL not in html.replace(f'href="{PIXEL}"', "").replace(f'title="{PIXEL}"', "")
    assert f'<a class="remote-image" href="{PIXEL.replace("&", "&amp;")}"' in html
    # A cid: picture the message does not hold loads nothing and says so.
    assert "cid:part1@x" not in html
    assert "A picture that is not in the message" in html


@pytest.mark.django_db
def test_the_desk_shows_a_remote_image_as_a_link(client: Client, world: World) -> None:
    ticket = opened(world)
    client.force_login(world.agent.user)
    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert_blocked(html)
    assert PLACEHOLDER in html


@pytest.mark.django_db
def test_the_portal_shows_a_remote_image_as_a_link(client: Client, world: World) -> None:
    ticket = opened(world)
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    assert_blocked(client.get(f"/tickets/{ticket.number}/").content.decode())
    client.logout()
    assert_blocked(client.get(ticket_path(ticket)).content.decode())


@pytest.mark.django_db
def test_the_rating_page_shows_a_remote_image_as_a_link(client: Client, world: World) -> None:
    ticket = world.open()
    lifecycle.resolve(
        ticket, actor=world.agent, explanation_html=f'<p>Fixed <img src="{PIXEL}"></p>'
    )
    event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")
    html = client.get(rating_path(event)).content.decode()
    assert "Remote image from tracker.example.com blocked — open" in html
    assert f'<img src="{PIXEL}' not in html.replace("&amp;", "&")


LINKED = (
    '<p>Our shop: <a href="https://shop.example/">Buy <img src="https://cdn.example/b.png" '
    'alt="banner"> now</a> MARKER-TEXT</p>'
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """Where the message text stands on a page: the attributes of the elements
    around each piece of it, and whether any link opens inside another."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None]]] = []
        self.around_marker: list[list[dict[str, str | None]]] = []
        self.nested_links = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and any(name == "a" for name, _ in self.open):
            self.nested_links += 1
        if tag not in VOID:
            self.open.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "MARKER-TEXT" in data:
            self.around_marker.append([attrs for _, attrs in self.open])


def assert_contained(html: str, times: int) -> None:
    """The message is shown `times` times, each inside a container that htmx will
    not process, and no link on the page sits inside another."""
    page = Page(html)
    assert len(page.around_marker) == times
    for ancestors in page.around_marker:
        assert any("hx-disable" in attrs for attrs in ancestors), ancestors
    assert page.nested_links == 0
    assert "Remote image “banner” from cdn.example blocked (link follows)" in html


@pytest.mark.django_db
def test_a_remote_image_in_a_link_makes_no_link_in_a_link_and_htmx_skips_messages(
    client: Client, world: World
) -> None:
    ticket = world.open(body_html=LINKED)
    lifecycle.reply(ticket, actor=world.agent, body_html=LINKED)
    client.force_login(world.agent.user)
    assert_contained(client.get(f"/desk/tickets/{ticket.number}/").content.decode(), 2)
    client.logout()
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    assert_contained(client.get(f"/tickets/{ticket.number}/").content.decode(), 2)
    client.logout()
    assert_contained(client.get(ticket_path(ticket)).content.decode(), 2)


@pytest.mark.django_db
def test_the_rating_page_shows_the_answer_where_htmx_does_not_look(
    client: Client, world: World
) -> None:
    ticket = world.open()
    lifecycle.resolve(ticket, actor=world.agent, explanation_html=LINKED)
    event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")
    assert_contained(client.get(rating_path(event)).content.decode(), 1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_never_asks_the_remote_host_and_reports_no_violation(
    live_server, world: World, browser: Browser
) -> None:
    ticket = opened(world)
    context = browser.new_context()
    watch = Watch()
    watch.attach(context)
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        # Asked for, or refused by the policy: either way the page wanted it.
        if request.url.startswith("http") and not request.url.startswith(live_server.url):
            elsewhere.append(request.url)

    context.on("request", note)
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    link = page.get_by_role("link", name=PLACEHOLDER)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", PIXEL)
    expect(link).to_have_attribute("target", "_blank")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "remote-image.png"), full_page=True)
    watch.settle(page)
    assert elsewhere == []
    # cid: pictures are served from our own origin (or said missing): nothing is
    # refused.
    assert watch.violations == [], watch.violations
    context.close()
