"""The reply tools in Chromium. A supervisor writes a canned reply with variables
and a file on the desk's page; an agent picks it in a ticket's reply box and sends
it; the customer's mailbox (aiosmtpd) gets the words filled in and the file. A
person added as Cc on the desk gets the next reply and answers it by mail into the
same ticket. Screenshots in test-artifacts/desk/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from helpline.automation.models import CannedReply
from helpline.conftest import World
from helpline.desk.models import Draft
from helpline.notify.defaults import ensure_templates
from helpline.notify.tests.helpers import deliver_pending
from helpline.notify.tests.smtp import SMTPServer
from helpline.tests.security.browser import sign_in
from helpline.tickets.models import Attachment, EntryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "desk"
PDF = b"%PDF-1.4\n% the printer manual\n"


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


def test_a_canned_reply_with_variables_and_a_file_reaches_the_customer_mailbox(
    context: BrowserContext,
    world: World,
    live_server: Any,
    smtp_server: SMTPServer,
    tmp_path: Path,
) -> None:
    ensure_templates()
    ticket = world.open("Printer prints blank pages")
    manual = tmp_path / "manual.pdf"
    manual.write_bytes(PDF)

    # Sam, Support's supervisor, writes a shared reply on the desk's page.
    sign_in(context, live_server.url, world.supervisor.user)
    page = context.new_page()
    page.goto("/desk/")
    page.get_by_role("link", name="Canned replies").click()
    page.get_by_role("link", name="New canned reply").click()
    page.locator("#id_title").fill("Printer manual")
    page.locator("#id_department").select_option(label="Support")
    page.get_by_label("Shared with the department's agents").check()
    page.locator("#id_body").fill(
        "Hello %{ticket.name.first},\n\nthe manual for ticket #%{ticket.number} is "
        "attached.\n\n%{staff.name}"
    )
    page.get_by_label("Add files").set_input_files(str(manual))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "canned-edit.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").or_(page.locator(".messages"))).to_contain_text(
        "Canned reply “Printer manual” saved."
    )
    expect(page.get_by_role("table")).to_contain_text("manual.pdf")
    page.screenshot(path=str(ARTIFACTS / "canned-list.png"), full_page=True)
    assert CannedReply.objects.get().owner is None
    page.close()

    # Alice picks it on the ticket: the words filled in for Ken, the file beside,
    # the department's signature below (hers is not written yet).
    world.support.signature = "The Support team"
    world.support.save()
    context.clear_cookies()
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    box = page.get_by_label("Reply to the customer")
    box.fill("Sorry for the trouble.")
    page.get_by_label("Insert a canned reply").fill("manual")
    # The list asked for on focus and the one for "manual" have both arrived (a
    # click while one replaces the other may land on a button being swapped out).
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Printer manual").click()
    # The editor (editor.js) holds the canned text after the typed one, its lines kept.
    expect(box).to_have_text(
        re.compile(
            rf"Sorry for the trouble\.\s*Hello Ken,\s*the manual for ticket #{ticket.number} "
            rf"is attached\.\s*{world.agent.name}"
        )
    )
    expect(page.locator("#canned-files")).to_contain_text("manual.pdf")
    expect(page.get_by_label("Signature", exact=True)).to_have_value("The Support team")
    expect(page.locator("#draft-reply")).to_contain_text("Draft saved at")
    page.screenshot(path=str(ARTIFACTS / "canned-picked.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".thread")).to_contain_text("the manual for ticket")
    expect(page.locator(".thread .attachments")).to_contain_text("manual.pdf")

    sent = Attachment.objects.get(entry__ticket=ticket, entry__kind=EntryKind.REPLY)
    assert sent.file.read() == PDF
    deliver_pending()
    mail = smtp_server.to("ken@example.com")[-1]
    text = mail.text.replace("\r\n", "\n")
    assert f"Hello Ken,\n\nthe manual for ticket #{ticket.number} is attached." in text
    assert "%{" not in text
    assert text.count("The Support team") == 1
    [part] = list(mail.message.iter_attachments())
    assert part.get_filename() == "manual.pdf" and part.get_content() == PDF


def test_a_picked_file_can_be_taken_out_before_sending(
    context: BrowserContext, world: World, live_server: Any
) -> None:
    from django.core.files.base import ContentFile

    from helpline.automation.models import CannedAttachment

    reply = CannedReply.objects.create(title="Manual", body_html="<p>See attached.</p>")
    stored = CannedAttachment(reply=reply, filename="m.pdf", content_type="application/pdf", size=4)
    stored.file.save("m.pdf", ContentFile(b"%PDF"), save=False)
    stored.save()
    ticket = world.open()
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    page.get_by_label("Insert a canned reply").focus()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Manual").click()
    expect(page.locator("#canned-files li")).to_have_count(1)
    # The draft keeps the picked file: a reload shows it again (the trial lost it).
    for _ in range(100):
        if Draft.objects.filter(canned_files=[stored.pk]).exists():
            break
        page.wait_for_timeout(100)
    page.reload()
    expect(page.locator("#canned-files")).to_contain_text("m.pdf")
    page.get_by_role("button", name="Remove m.pdf").click()
    expect(page.locator("#canned-files li")).to_have_count(0)
    for _ in range(100):  # and forgets it once taken out
        if Draft.objects.filter(canned_files=[]).exists():
            break
        page.wait_for_timeout(100)
    page.reload()
    expect(page.locator("#canned-files li")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".thread")).to_contain_text("See attached.")
    assert not Attachment.objects.filter(entry__ticket=ticket, entry__kind=EntryKind.REPLY).exists()


def test_a_cc_added_on_the_desk_gets_the_next_reply_and_answers_it_by_mail(
    context: BrowserContext, world: World, live_server: Any, smtp_server: SMTPServer
) -> None:
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import make_msgid

    from helpline.intake.ingest import ingest_message
    from helpline.tickets.models import Entry, EntryKind

    ensure_templates()
    ticket = world.open("VPN drops every hour")
    deliver_pending()  # the autoresponse, to Ken only
    sign_in(context, live_server.url, world.agent.user)
    page = context.new_page()
    page.goto(f"/desk/tickets/{ticket.number}/")
    page.get_by_text("Add a person (Cc)").click()
    page.locator("#add_person-email").fill("carol@example.net")
    page.locator("#add_person-name").fill("Carol Cc")
    with page.expect_navigation():
        page.get_by_role("button", name="Add", exact=True).click()
    followers = page.get_by_test_id("followers")
    expect(followers).to_contain_text("Carol Cc")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "added Carol Cc <carol@example.net> to the people who follow the ticket"
    )
    page.get_by_label("Reply to the customer").fill("We are looking at the VPN gateway.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "followers.png"), full_page=True)

    deliver_pending()
    [copy] = smtp_server.to("carol@example.net")
    assert "We are looking at the VPN gateway." in copy.text
    # Carol answers from her mail client, threaded under the mail she got.
    answer = EmailMessage()
    answer["From"] = "Carol Cc <carol@example.net>"
    answer["To"] = str(copy.message.get("Reply-To") or copy.message["From"])
    answer["Subject"] = f"Re: {copy.message['Subject']}"
    answer["Message-ID"] = make_msgid(domain="mail.example.net")
    answer["In-Reply-To"] = answer["References"] = str(copy.message["Message-ID"])
    answer.set_content("It dropped again at 10:02, on the office network.")
    ingest_message(answer.as_bytes(policy=SMTP))

    entry = Entry.objects.filter(ticket=ticket, kind=EntryKind.MESSAGE).latest("id")
    assert entry.customer is not None and entry.customer.email == "carol@example.net"
    page.reload()
    carol_says = page.locator("article.entry").filter(has_text="It dropped again at 10:02")
    expect(carol_says).to_contain_text("Collaborator")
    page.screenshot(path=str(ARTIFACTS / "followers-answered.png"), full_page=True)

    # Removed, she gets no more replies.
    with page.expect_navigation():
        followers.get_by_role("button", name="Remove Carol Cc").click()
    expect(page.get_by_test_id("followers")).to_have_count(0)
    expect(page.get_by_test_id("timeline")).to_contain_text("removed Carol Cc")
    page.get_by_label("Reply to the customer").fill("Only for Ken now.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    deliver_pending()
    assert any("Only for Ken now." in m.text for m in smtp_server.to("ken@example.com"))
    assert not any("Only for Ken now." in m.text for m in smtp_server.to("carol@example.net"))
