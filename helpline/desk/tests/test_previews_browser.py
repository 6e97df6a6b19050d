"""Pictures attached to a ticket are shown small on the desk's ticket page (and
open full size in a new tab), and a PDF as its first page that opens the viewer
of its pages, in a real Chromium: the pictures load through the page's CSP.
Screenshots go to test-artifacts/desk/."""

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
from helpline.tickets.tests.pdfs import encrypted_pdf, pdf, text_page

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


def invoice_pdf() -> bytes:
    """Two pages that look like an invoice and its terms."""
    lines = [
        ("Printer service, October", "120.00"),
        ("Toner cartridge, black", "89.90"),
        ("Fuser unit", "214.50"),
        ("Call-out fee", "45.00"),
    ]
    rows = " ".join(
        f"BT /F1 13 Tf 60 {520 - 28 * i} Td ({what}) Tj ET "
        f"BT /F1 13 Tf 460 {520 - 28 * i} Td ({price}) Tj ET"
        for i, (what, price) in enumerate(lines)
    )
    first = (
        text_page("Invoice 2026-117")
        + (
            f" 0 0 0 rg {rows} 0.2 0.2 0.2 rg 60 392 475 1 re f"
            " BT /F1 14 Tf 60 366 Td (Total due) Tj ET BT /F1 14 Tf 460 366 Td (469.40) Tj ET"
        ).encode()
    )
    return pdf(first, text_page("Terms and conditions", (30, 120, 80)))


def test_john_opens_kens_pdf_from_its_first_page_in_the_viewer(
    live_server: Any, page: Page
) -> None:
    load_demo()
    john = Agent.objects.get(user__username="john.doe")
    ken = Customer.objects.get(email="ken@example.com")
    ticket = Ticket.objects.filter(customer=ken, department__in=john.access.values("department"))[0]
    lifecycle.customer_reply(
        ticket,
        actor=ken,
        body_html="<p>The invoice is attached.</p>",
        uploads=[lifecycle.Upload("invoice.pdf", "application/pdf", invoice_pdf())],
    )

    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("john.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    thumbnail = page.get_by_role("img", name="First page of invoice.pdf")
    thumbnail.scroll_into_view_if_needed()
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 240  # drawn, not the file icon
    assert thumbnail.evaluate("img => img.getBoundingClientRect().width") == 120
    entry = thumbnail.locator("xpath=ancestor::article")
    expect(entry.get_by_role("link", name="📎 invoice.pdf")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    entry.screenshot(path=str(ARTIFACTS / "pdf-preview.png"))

    thumbnail.click()
    expect(page.get_by_role("heading", level=1, name="invoice.pdf")).to_be_visible()
    assert page.url.endswith("/pages/")
    expect(page.get_by_role("heading", level=2, name="Page 1 of 2")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Page 2 of 2")).to_be_visible()
    first = page.get_by_role("img", name="Page 1 of invoice.pdf")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=first.element_handle()
    )
    assert first.evaluate("img => img.naturalWidth") == 1000
    expect(page.get_by_role("link", name="Download")).to_have_attribute(
        "href", f"/desk/tickets/{ticket.number}/files/{first_attachment_id(ticket)}/"
    )
    second = page.get_by_role("img", name="Page 2 of invoice.pdf")
    second.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=second.element_handle()
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "pdf-viewer.png"), full_page=True)

    # At phone width the pages fit the screen.
    page.set_viewport_size({"width": 390, "height": 800})
    assert first.evaluate("img => img.getBoundingClientRect().right") <= 390

    page.get_by_role("link", name="Back to the ticket").click()
    expect(page.get_by_role("img", name="First page of invoice.pdf")).to_be_visible()


def first_attachment_id(ticket: Ticket) -> int:
    return ticket.entries.order_by("-id")[0].attachments.get().pk


def test_a_pdf_that_cannot_be_drawn_shows_as_a_page_icon_and_the_viewer_says_so(
    live_server: Any, page: Page
) -> None:
    load_demo()
    john = Agent.objects.get(user__username="john.doe")
    ken = Customer.objects.get(email="ken@example.com")
    ticket = Ticket.objects.filter(customer=ken, department__in=john.access.values("department"))[0]
    lifecycle.customer_reply(
        ticket,
        actor=ken,
        body_html="<p>The scan.</p>",
        uploads=[lifecycle.Upload("scan.pdf", "application/pdf", encrypted_pdf())],
    )

    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("john.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    icon = page.get_by_role("img", name="First page of scan.pdf")
    icon.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=icon.element_handle())
    # The page icon (document.svg, 120 x 160), not a drawing (240 pixels wide).
    assert icon.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [120, 160]
    icon.click()
    expect(page.get_by_role("heading", level=2, name="No preview")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
