"""Forms as people use them, in a real Chromium (helpline.js): a double click sends
a form once, a text box with a limit says when a paste was cut at it, a subject
of one long word does not widen the page (found by a new user's trial), and
Ctrl+Enter sends a reply, a note or the customer's reply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.conftest import World
from helpline.tests.security.browser import sign_in
from helpline.tickets.links import ticket_token
from helpline.tickets.models import Entry, EntryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_double_click_on_send_reply_sends_one_reply(
    page: Page, world: World, live_server: Any
) -> None:
    ticket = world.open()
    sign_in(page.context, live_server.url, world.agent.user)
    page.goto(f"/desk/tickets/{ticket.number}/")
    page.get_by_label("Reply to the customer").fill("Unplug it, please.")

    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").dblclick()

    expect(page.get_by_text("Unplug it, please.")).to_be_visible()
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1
    # Back on the page (a new one, or from the back button), the form sends again.
    page.get_by_label("Reply to the customer").fill("And plug it back in.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 2
    # Whatever the timing of the clicks, a second submit of a form on its way is
    # dropped (the end-to-end count alone depends on when Chromium sends them).
    refused = page.evaluate(
        """() => {
          const form = document.querySelector('#panel-reply form');
          const send = () => {
            const event = new SubmitEvent('submit', {bubbles: true, cancelable: true});
            form.dispatchEvent(event);  // a dispatched event runs the handlers only
            return event.defaultPrevented;
          };
          return [send(), send()];
        }"""
    )
    assert refused == [False, True]


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "characters at most"), ("de", "höchstens")],
)
def test_a_paste_cut_at_the_limit_is_said(
    page: Page, world: World, language: str, said: str
) -> None:
    page.goto("/open/")
    if language == "de":
        page.get_by_role("combobox", name="Language").select_option("de")
        page.get_by_role("button", name="Change language").click()
    area = page.locator("textarea[name=description]")
    limit = int(area.get_attribute("maxlength") or 0)
    assert limit > 0
    note = page.locator(".limit-note")
    expect(note).to_be_hidden()

    area.fill("x" * (limit + 500))  # a paste longer than the box takes

    assert len(area.input_value()) == limit
    expect(note).to_be_visible()
    expect(note).to_contain_text(said)


def test_a_subject_of_one_long_word_does_not_widen_the_pages(
    page: Page, world: World, live_server: Any
) -> None:
    ticket = world.open("X" * 250)
    sign_in(page.context, live_server.url, world.agent.user)
    for path in (f"/desk/tickets/{ticket.number}/", "/desk/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, (path, width)


def test_ctrl_enter_sends_the_reply_the_note_and_the_customers_reply(
    page: Page, world: World, live_server: Any
) -> None:
    ticket = world.open()
    sign_in(page.context, live_server.url, world.agent.user)
    page.goto(f"/desk/tickets/{ticket.number}/")
    expect(page.locator("#panel-reply .shortcut-hint")).to_have_text("or Ctrl+Enter")
    box = page.get_by_label("Reply to the customer")
    box.fill("Unplug it, please.")
    box.press("Enter")  # a new line, nothing sent
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).exists()
    with page.expect_navigation():
        box.press("Control+Enter")
    expect(page.get_by_text("Unplug it, please.")).to_be_visible()
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1

    page.get_by_role("tab", name="Internal note").click()
    note = page.get_by_label("Internal note (agents only)")
    note.fill("Customer sounded calm.")
    with page.expect_navigation():
        note.press("Meta+Enter")
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 1

    # Keys typed and sent before the editor next draws are sent too: the
    # shortcut waits for the frame in which the editor fills the form's field.
    page.get_by_role("tab", name="Internal note").click()
    with page.expect_navigation():
        page.evaluate(
            """() => {
          const editor = document.querySelector("#panel-note trix-editor");
          editor.focus();
          // As a keyboard types: Trix draws (and fills the field) at the next frame.
          editor.dispatchEvent(new InputEvent("beforeinput", {inputType: "insertText",
            data: "Typed fast, sent at once.", bubbles: true, cancelable: true}));
          editor.dispatchEvent(new KeyboardEvent("keydown",
            {key: "Enter", ctrlKey: true, bubbles: true, cancelable: true}));
        }"""
        )
    expect(page.get_by_text("Typed fast, sent at once.")).to_be_visible()
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 2

    # An empty required box is not sent: the browser's own check stops it.
    page.get_by_label("Reply to the customer").press("Control+Enter")
    page.wait_for_timeout(300)
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1

    customer = page.context.browser.new_page(base_url=live_server.url)  # type: ignore[union-attr]
    customer.goto(f"/t/{ticket_token(ticket)}/")
    reply = customer.locator("#reply textarea")
    reply.fill("Done, it works.")
    with customer.expect_navigation():
        reply.press("Control+Enter")
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).count() == 2
    customer.close()
