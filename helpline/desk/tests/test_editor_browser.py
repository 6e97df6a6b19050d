"""The desk's reply editor in Chromium (static/helpline/editor.js, Trix): bold
text, a list and a pasted picture go to the customer as HTML with a plain-text
copy and the picture inline (its Content-ID), and the thread shows the picture in
place from the reply's own file. Screenshots in test-artifacts/desk/."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.conftest import World
from helpline.desk.models import Draft
from helpline.desk.tests.test_previews_browser import screenshot_png
from helpline.notify.defaults import ensure_templates
from helpline.notify.tests.helpers import deliver_pending
from helpline.notify.tests.smtp import SMTPServer
from helpline.tests.security.browser import sign_in
from helpline.tickets.models import Attachment, Entry, EntryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server
    server.stop()


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    made.set_default_timeout(10_000)
    yield made
    made.close()


def paste_picture(page: Page, name: str, content: bytes) -> None:
    """Paste a picture into the reply editor as a browser does from the clipboard."""
    page.locator("#reply-body-editor").evaluate(
        """(editor, [name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/png" }));
            editor.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: transfer, bubbles: true, cancelable: true }));
        }""",
        [name, base64.b64encode(content).decode()],
    )


def test_a_formatted_reply_with_a_pasted_picture_reaches_the_customer(
    context: BrowserContext, world: World, live_server: Any, smtp_server: SMTPServer
) -> None:
    ensure_templates()
    ticket = world.open("The screen flickers")
    deliver_pending()  # the autoresponse
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/desk/tickets/{ticket.number}/")

    editor = page.get_by_role("textbox", name="Reply to the customer")
    expect(editor).to_be_visible()
    expect(page.locator("#reply-body")).to_be_hidden()
    editor.click()
    bold = page.get_by_role("button", name="Bold").first
    bold.click()
    page.keyboard.type("Restart the monitor")
    bold.click()
    page.keyboard.type(" first, then:")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bulleted list").first.click()
    page.keyboard.type("unplug the cable")
    page.keyboard.press("Enter")
    page.keyboard.type("plug it back in")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    paste_picture(page, "where.png", screenshot_png(320, 200))
    picture = editor.locator("img")
    expect(picture).to_have_count(1)
    assert picture.evaluate("img => img.src").startswith("blob:")
    expect(page.locator("#draft-reply")).to_contain_text("Draft saved at")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": Playwright hides the caret with a style attribute on each
    # element, which the editor would then copy (and the CSP refuse).
    page.locator("#panel-reply").screenshot(path=str(ARTIFACTS / "editor.png"), caret="initial")

    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()

    # The thread: bold words, a list, and the picture in place from its own file.
    reply = page.locator("article.entry.reply").last
    expect(reply.locator("strong")).to_have_text("Restart the monitor")
    expect(reply.locator(".body li")).to_have_text(["unplug the cable", "plug it back in"])
    shown = reply.locator(".body img.inline-image")
    expect(shown).to_be_visible()
    shown.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=shown.element_handle()
    )
    assert shown.evaluate("img => img.naturalWidth") == 320
    # Not listed again below the message (it read as a second file): the reply
    # had no other file, so it has no list of files.
    expect(reply.locator(".attachments")).to_have_count(0)
    reply.screenshot(path=str(ARTIFACTS / "editor-sent.png"))

    entry = Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).get()
    stored = Attachment.objects.get(entry=entry)
    assert re.fullmatch(r"[0-9a-f]{24}@helpline", stored.content_id)
    assert f'src="cid:{stored.content_id}"' in entry.body
    assert "figure" not in entry.body and "data-trix" not in entry.body

    # The mail: HTML with the picture by its Content-ID, the same words as text.
    deliver_pending()
    mail = smtp_server.to(world.customer.email)[-1]
    assert "<strong>Restart the monitor</strong>" in mail.html
    assert f"cid:{stored.content_id}" in mail.html
    text = mail.text.replace("\r\n", "\n")
    assert "Restart the monitor first, then:" in text
    assert "unplug the cable" in text and "<" not in text.split("Restart")[1][:80]
    # The picture goes with the HTML (multipart/related), not among the files.
    assert not list(mail.message.iter_attachments())
    [related] = [p for p in mail.message.walk() if p.get_content_type() == "multipart/related"]
    html, part = list(related.iter_parts())
    assert html.get_content_type() == "text/html"
    assert part["Content-ID"] == f"<{stored.content_id}>"
    assert part.get_content_disposition() == "inline"
    assert part.get_content() == stored.file.open("rb").read()
    assert errors == [], errors


def test_a_draft_with_formatting_survives_a_reload(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    ticket = world.open("The screen flickers")
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    editor = page.get_by_role("textbox", name="Reply to the customer")
    editor.click()
    page.keyboard.type("Please try ")
    page.get_by_role("button", name="Italic").first.click()
    page.keyboard.type("safe mode")
    expect(page.locator("#draft-reply")).to_contain_text("Draft saved at")
    for _ in range(100):  # the last keystrokes' save comes a moment later
        if Draft.objects.filter(body__contains="<em>safe mode</em>").exists():
            break
        page.wait_for_timeout(100)
    page.reload()
    editor = page.get_by_role("textbox", name="Reply to the customer")
    expect(editor.locator("em")).to_have_text("safe mode")
    expect(editor).to_contain_text("Please try safe mode")


def test_a_link_made_with_nothing_selected_links_its_address_only(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    ticket = world.open("The screen flickers")
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    editor = page.get_by_role("textbox", name="Reply to the customer")
    editor.click()
    page.keyboard.type("Details at ")
    page.get_by_role("button", name="Link").first.click()
    page.get_by_role("textbox", name="Web address").fill("https://example.com/help")
    page.locator('#panel-reply .trix-dialog--link input[data-trix-method="setAttribute"]').click()
    page.keyboard.type("and more text")
    link = editor.locator("a")
    expect(link).to_have_text("https://example.com/help")
    expect(link).to_have_attribute("href", "https://example.com/help")
    expect(editor).to_contain_text("Details at https://example.com/help and more text")

    # The toolbar is on the keyboard's way, as one stop (the ARIA toolbar
    # pattern: Trix leaves its buttons out; the arrow keys walk them,
    # test_ticket_page_edges_browser.py), and works from the keyboard.
    buttons = page.locator("#panel-reply trix-toolbar button.trix-button")
    assert buttons.count() >= 10
    assert buttons.evaluate_all("all => all.filter(b => b.tabIndex === 0).length") == 1
    bold = page.locator("#panel-reply trix-toolbar").get_by_role("button", name="Bold")
    bold.focus()
    page.keyboard.press("Enter")
    expect(bold).to_have_class(re.compile(r"\btrix-active\b"))


def test_a_draft_says_that_its_pasted_picture_was_not_kept(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    ticket = world.open("The screen flickers")
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    page.get_by_role("textbox", name="Reply to the customer").click()
    page.keyboard.type("As you see here:")
    paste_picture(page, "where.png", screenshot_png(40, 30))
    for _ in range(100):  # the save after the picture comes a moment later
        if Draft.objects.filter(body__contains="cid:").exists():
            break
        page.wait_for_timeout(100)
    page.reload()
    editor = page.get_by_role("textbox", name="Reply to the customer")
    expect(editor).to_contain_text("As you see here:")
    expect(editor.locator("img")).to_have_count(0)
    expect(page.locator("#panel-reply [role=status].alert-warning")).to_contain_text(
        "A picture pasted into this text was not kept with the draft"
    )
