"""Merging, its undo, mail to a merged number, and a parent resolving its children,
in a real Chromium. Screenshots in test-artifacts/desk/merge-*.png and
links-*.png (at 1280 and at 390 pixels wide), for people to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox
from helpline.intake.tests.helpers import mail
from helpline.lib.mailids import make_message_id
from helpline.tests.a11y import assert_accessible_controls
from helpline.tests.security.browser import sign_in
from helpline.tickets import lifecycle
from helpline.tickets.models import LinkKind, Source, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"
PHONE: ViewportSize = {"width": 390, "height": 844}
WIDE: ViewportSize = {"width": 1280, "height": 900}


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def alice(browser: Browser, live_server: Any, world: World) -> Iterator[Page]:
    """Alice (Support) signed in; no console error on any page she opens."""
    context: BrowserContext = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    errors: list[str] = []
    context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(context, live_server.url, world.agent.user)
    yield context.new_page()
    assert errors == [], errors
    context.close()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_alice_merges_a_duplicate_sees_both_threads_as_one_and_undoes_it(
    alice: Page, world: World
) -> None:
    keep = world.open("Printer on fire", body_html="<p>The office printer is on fire.</p>")
    keep = lifecycle.reply(keep, actor=world.agent, body_html="<p>Unplug it, please.</p>")
    dup = world.open(
        "Printer still burning",
        customer=world.outsider,
        actor=world.outsider,
        source=Source.EMAIL,
        body_html="<p>Smoke comes out of the printer on the 2nd floor.</p>",
    )

    alice.goto(f"/desk/tickets/{dup.number}/")
    alice.get_by_text("Merge into another ticket").click()
    alice.get_by_label("Number of the ticket to keep").fill(keep.number)
    alice.get_by_role("button", name="Find the ticket").click()
    preview = alice.get_by_test_id("merge-preview")
    expect(preview).to_contain_text("Printer on fire")
    expect(preview).to_contain_text("Ken Adams")
    expect(preview).to_contain_text("The customers differ: Olive Outsider will follow")
    shot(alice, "merge-preview")
    alice.set_viewport_size(PHONE)
    preview.screenshot(path=str(ARTIFACTS / "merge-preview-card-390.png"), caret="initial")
    shot(alice, "merge-preview-390")
    alice.set_viewport_size(WIDE)

    preview.get_by_role("button", name=f"Merge #{dup.number} into #{keep.number}").click()
    alice.wait_for_load_state()
    expect(alice).to_have_url(f"{alice.url.split('/desk/')[0]}/desk/tickets/{keep.number}/")
    expect(alice.get_by_text(f"Ticket #{dup.number} was merged into this ticket")).to_be_visible()
    thread = alice.locator("article.entry")
    expect(thread).to_have_count(3)
    expect(thread.nth(1)).to_contain_text("Unplug it, please.")
    expect(thread.nth(2)).to_contain_text("Smoke comes out")
    expect(thread.nth(2)).to_contain_text("Olive Outsider")
    expect(thread.nth(2)).to_contain_text(f"from #{dup.number}")
    expect(thread.nth(2)).to_contain_text("via Email")
    expect(alice.get_by_test_id("timeline")).to_contain_text(f"merged #{dup.number} into this")
    shot(alice, "merge-survivor")

    # The old number leads here.
    alice.goto(f"/desk/tickets/{dup.number}/")
    moved = f"Ticket #{dup.number} was merged into #{keep.number}."
    expect(alice.get_by_text(moved)).to_be_visible()

    alice.get_by_test_id("links").get_by_role("button", name="Undo merge").click()
    alice.wait_for_load_state()
    expect(alice.get_by_text(f"The merge was undone: #{dup.number} is back")).to_be_visible()
    expect(alice.get_by_test_id("status")).to_have_text("Open")
    expect(alice.locator("article.entry")).to_have_count(1)
    expect(alice.get_by_test_id("timeline")).to_contain_text(
        f"undid the merge of this ticket into #{keep.number}"
    )
    shot(alice, "merge-undone")
    assert fresh(dup).merged_into_id is None
    assert lifecycle.survivor_of(fresh(dup)) == fresh(dup)


def test_an_undo_after_the_survivor_changed_is_refused_with_the_reason(
    alice: Page, world: World
) -> None:
    keep, dup = world.open("Printer on fire"), world.open("Printer still burning")
    lifecycle.merge(dup, into=keep, actor=world.agent)
    lifecycle.reply(keep, actor=world.supervisor, body_html="<p>A technician is on the way.</p>")

    alice.goto(f"/desk/tickets/{dup.number}/?merged=show")
    banner = alice.get_by_test_id("merged-banner")
    expect(banner).to_contain_text(f"This ticket was merged into #{keep.number}")
    expect(banner).to_contain_text("can no longer be undone")
    expect(banner).to_contain_text("Replied, by Sam Super")
    expect(banner.get_by_role("button", name="Undo merge")).to_have_count(0)
    shot(alice, "merge-undo-refused")
    alice.set_viewport_size(PHONE)
    shot(alice, "merge-undo-refused-390")


def test_the_customers_mail_to_the_merged_number_lands_in_the_survivor(
    alice: Page, world: World
) -> None:
    mailbox = Mailbox.objects.create(
        department=world.support, address="support@helpline.test", protocol=Mailbox.Protocol.PIPE
    )
    keep = world.open("Printer on fire", body_html="<p>The office printer is on fire.</p>")
    dup = world.open("Printer still burning", body_html="<p>Still smoking.</p>")
    lifecycle.merge(dup, into=keep, actor=world.agent)

    # Ken answers the mail we sent him about the merged ticket, by its old number.
    ours = make_message_id(dup.number, "r1")
    raw = mail(
        subject=f"Re: [#{dup.number}] Printer still burning",
        body="The fire brigade has been, the printer is gone.",
        in_reply_to=ours,
        references=ours,
    )
    result = ingest_message(raw, mailbox=mailbox)
    assert (result.outcome, result.ticket) == (LedgerOutcome.REPLY, fresh(keep))

    alice.goto(f"/desk/tickets/{keep.number}/")
    last = alice.locator("article.entry").last
    expect(last).to_contain_text("The fire brigade has been, the printer is gone.")
    expect(last).to_contain_text("Ken Adams")
    expect(last).to_contain_text("via Email")
    expect(alice.get_by_test_id("timeline")).to_contain_text("Ken Adams wrote a message")
    shot(alice, "merge-mail-to-old-number")


def test_alice_resolves_an_outage_and_its_reports_with_one_explanation(
    alice: Page, world: World
) -> None:
    outage = world.open("Mail server down", body_html="<p>Nobody gets mail.</p>")
    reports = [
        world.open("I get no mail"),
        world.open("Mail stuck in outbox", customer=world.outsider, actor=world.outsider),
    ]
    sales = world.open("Invoices do not arrive by mail", topic=world.sales_topic)
    for child in (*reports, sales):
        lifecycle.link(outage, other=child, kind=LinkKind.PARENT, actor=world.admin)

    alice.goto(f"/desk/tickets/{outage.number}/")
    links = alice.get_by_test_id("links")
    expect(links.locator("li[data-role=child]")).to_have_count(3)
    expect(links).to_contain_text("not in your departments")
    shot(alice, "links-parent")
    alice.set_viewport_size(PHONE)
    shot(alice, "links-parent-390")
    links.screenshot(path=str(ARTIFACTS / "links-card-390.png"), caret="initial")
    alice.set_viewport_size(WIDE)

    alice.locator("#action-resolve summary").click()
    alice.get_by_label("Resolution (the customer sees this)").fill(
        "The mail server is back; mail sent meanwhile arrives within the hour."
    )
    alice.get_by_label("Also resolve its open child tickets with this explanation").check()
    alice.get_by_role("button", name="Resolve ticket").click()
    alice.wait_for_load_state()
    expect(alice.get_by_text("Ticket resolved.")).to_be_visible()
    numbers = ", ".join(f"#{t.number}" for t in sorted(reports, key=lambda t: t.number))
    expect(
        alice.get_by_text(f"2 child tickets resolved with the same explanation: {numbers}.")
    ).to_be_visible()
    expect(alice.get_by_text(f"1 child ticket was not resolved: #{sales.number}")).to_be_visible()
    resolved = alice.get_by_test_id("links").locator("li[data-role=child] .badge-resolved")
    expect(resolved).to_have_count(2)
    shot(alice, "links-parent-resolved")

    for child in reports:
        assert fresh(child).is_resolved
    assert fresh(sales).is_open

    alice.goto(f"/desk/tickets/{reports[0].number}/")
    expect(alice.locator("article.entry.resolution")).to_contain_text("The mail server is back")
    expect(alice.get_by_test_id("links")).to_contain_text(f"#{outage.number}")
    shot(alice, "links-child")


def test_alice_splits_a_second_question_off_into_its_own_ticket(alice: Page, world: World) -> None:
    ticket = world.open("Printer on fire")
    lifecycle.customer_reply(
        ticket, actor=world.customer, body_html="<p>Also, my screen flickers since Monday.</p>"
    )

    alice.goto(f"/desk/tickets/{ticket.number}/")
    message = alice.locator("article.entry").last
    message.get_by_text("Split into a new ticket").click()
    message.get_by_label("Subject of the new ticket").fill("Screen flickers")
    message.get_by_role("button", name="Open the new ticket").click()
    alice.wait_for_load_state()
    expect(alice.get_by_role("heading", name="Screen flickers")).to_be_visible()
    expect(alice.locator("article.entry")).to_contain_text("my screen flickers since Monday")
    expect(alice.get_by_test_id("links")).to_contain_text(f"#{ticket.number}")
    shot(alice, "links-split")
