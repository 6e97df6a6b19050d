"""Held mail on the desk in a real Chromium: two forged replies arrive through mail
intake, Alice accepts one as the customer's reply and dismisses the other.
Screenshots go to test-artifacts/desk/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from helpline.conftest import PASSWORD, World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox
from helpline.intake.tests.helpers import mail
from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, HeldReply, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_alice_accepts_one_held_reply_and_dismisses_another(
    live_server, world: World, page: Page
) -> None:
    mailbox = Mailbox.objects.create(
        department=world.support,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test",
    )
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Replaced it.</p>")
    # Ken writes from a new mail client: only the ticket number in the subject.
    from_ken = mail(subject=f"Re: [#{ticket.number}] Printer on fire", body="It smokes again.")
    # Somebody else, in Ken's name, and our mail server saw DMARC fail.
    forged = (
        b"Authentication-Results: mx.helpline.test; spf=fail smtp.mailfrom=example.com;"
        b" dkim=none; dmarc=fail (p=REJECT) header.from=example.com\r\n"
        + mail(subject=f"Re: [#{ticket.number}]", body="Send the refund to IBAN XX00 1234.")
    )
    for raw in (from_ken, forged):
        assert ingest_message(raw, mailbox=mailbox).outcome == LedgerOutcome.NOTE
    assert Ticket.objects.get(pk=ticket.pk).reopen_count == 0
    ken, fake = HeldReply.objects.order_by("pk")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("alice.agent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    banner = page.locator("#held-banner")
    expect(banner).to_contain_text("2 mails on this ticket are held for review")
    held = page.get_by_test_id("held")
    expect(held).to_have_count(2)
    expect(held.nth(1)).to_contain_text("failed authentication")
    expect(held.nth(1)).to_contain_text("dmarc=fail")
    shot(page, "held-replies")

    held.nth(0).get_by_role("button", name="Accept as the sender's message").click()
    expect(page.get_by_text("Accepted as the sender's message.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Open")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "accepted the held mail from ken@example.com as the reply of Ken Adams"
    )
    expect(page.locator("article.entry[data-kind=message]").last).to_contain_text(
        "It smokes again."
    )

    page.get_by_test_id("held").nth(1).get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Held mail dismissed.")).to_be_visible()
    expect(page.locator("#held-banner")).to_have_count(0)
    expect(page.get_by_test_id("timeline")).to_contain_text("dismissed the held mail")
    shot(page, "held-replies-decided")

    ken.refresh_from_db()
    fake.refresh_from_db()
    assert (ken.state, fake.state) == (HeldReply.State.ACCEPTED, HeldReply.State.DISMISSED)
    messages = Ticket.objects.get(pk=ticket.pk).entries.filter(kind=EntryKind.MESSAGE)
    assert not messages.filter(body__contains="IBAN").exists()


def test_a_strangers_accepted_mail_shows_as_theirs_and_they_follow_the_ticket(
    live_server, world: World, page: Page
) -> None:
    mailbox = Mailbox.objects.create(
        department=world.support,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test",
    )
    ticket = world.open()
    # Ken's colleague answers from her own address: not on the ticket.
    from_kim = mail(
        sender="Kim Colleague <kim@example.net>",
        subject=f"Re: [#{ticket.number}] Printer on fire",
        body="I am Ken's colleague: the printer is on the second floor.",
    )
    assert ingest_message(from_kim, mailbox=mailbox).outcome == LedgerOutcome.NOTE

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("alice.agent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/tickets/{ticket.number}/")
    held = page.get_by_test_id("held")
    expect(held).to_contain_text("kim@example.net")
    expect(held).to_contain_text("added to it as a collaborator")
    held.get_by_role("button", name="Accept as the sender's message").click()

    expect(page.get_by_text("Accepted as the sender's message.")).to_be_visible()
    message = page.locator("article.entry[data-kind=message]").last
    expect(message).to_contain_text("Kim Colleague")
    expect(message).to_contain_text("Collaborator")
    expect(message).not_to_contain_text("Ken Adams")
    expect(message).to_contain_text("the printer is on the second floor")
    expect(page.get_by_test_id("timeline")).to_contain_text("Kim Colleague")
    shot(page, "held-stranger-accepted")

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.customer == world.customer
    assert fresh.collaborators.filter(customer__email="kim@example.net").exists()
