"""Pictures attached to a ticket are shown small on the desk's ticket page (and
open full size in a new tab), in a real Chromium: the image loads through the
page's CSP. Screenshots go to test-artifacts/desk/."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.accounts.models import Agent, Customer
from helpline.tickets import lifecycle
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def screenshot_png(width: int = 640, height: int = 400) -> bytes:
    """A PNG of a blue screen with a white bar, written by hand (no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00"
        + b"".join(
            b"\xfa\xfa\xfa" if 100 <= x < 540 and 150 <= y < 250 else b"\x28\x5a\xa0"
            for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_john_sees_kens_screenshot_on_the_ticket(live_server: Any, page: Page) -> None:
    load_demo()
    john = Agent.objects.get(user__username="john.doe")
    ken = Customer.objects.get(email="ken@example.com")
    ticket = Ticket.objects.filter(customer=ken, department__in=john.access.values("department"))[0]
    lifecycle.customer_reply(
        ticket,
        actor=ken,
        body_html="<p>Here is what the screen shows.</p>",
        uploads=[lifecycle.Upload("screen.png", "image/png", screenshot_png())],
    )

    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("john.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    picture = page.get_by_role("img", name="screen.png")
    expect(picture).to_be_visible()
    picture.scroll_into_view_if_needed()
    assert picture.evaluate("img => img.naturalWidth") == 640
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    picture.locator("xpath=ancestor::article").screenshot(path=str(ARTIFACTS / "preview.png"))
    with page.context.expect_page() as opened:
        picture.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url.endswith("?view=1")
    assert full.evaluate("document.images.length") == 1
