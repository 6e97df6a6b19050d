"""Mail reaching a real SMTP server (aiosmtpd): what customers and agents receive."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Agent, Role
from helpline.conftest import World, make_agent, make_customer
from helpline.lib.mailids import ticket_number_from_ids
from helpline.notify.models import MailBatch, MailKind, OutboundMessage, OutboundStatus
from helpline.notify.rendering import reply_marker
from helpline.notify.sending import (
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SendResult,
    deliver,
    retry,
    send_due,
)
from helpline.notify.tasks import send_due_mail
from helpline.notify.tests.helpers import deliver_pending, fan_out_pending, run_worker
from helpline.notify.tests.smtp import SMTPServer, free_port
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment

ADDRESSES = re.compile(r"<([^>]+)>")


def ids(header: str) -> list[str]:
    return [f"<{i}>" for i in ADDRESSES.findall(header)]


# Transactional: the worker closes its database connection after each task, as a
# long-running process should, which the usual test transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_a_customer_opening_a_ticket_gets_the_autoresponse_with_a_working_link(
    world: World, smtp_server: SMTPServer, client: Client
) -> None:
    ticket = world.open("Printer on fire & smoking")

    run_worker()  # the tasks queued when the change committed

    [mail] = smtp_server.to("ken@example.com")
    assert mail.header("Subject") == f"[#{ticket.number}] Printer on fire & smoking"
    assert mail.header("To") == "Ken Adams <ken@example.com>"
    assert mail.header("From") == django_settings.DEFAULT_FROM_EMAIL
    assert mail.header("Auto-Submitted") == "auto-replied"
    assert ticket_number_from_ids(mail.header("Message-ID")) == ticket.number
    assert mail.text.startswith(reply_marker(ticket.number))
    assert "&amp;" not in mail.text and "&amp;" in mail.html
    link = re.search(re.escape(django_settings.HELPLINE_BASE_URL) + r"(/t/[^/\s]+/)", mail.text)
    assert link is not None
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Printer on fire &amp; smoking" in page.content.decode()
    outbound = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    assert outbound.status == OutboundStatus.SENT and outbound.sent_at is not None
    assert outbound.message_id == mail.header("Message-ID")


@pytest.mark.django_db(transaction=True)
def test_a_reply_and_a_resolution_carry_their_files_and_a_note_mail_none(
    world: World, smtp_server: SMTPServer
) -> None:
    ticket = world.open()
    pdf = b"%PDF-1.4 the manual"
    ticket = lifecycle.reply(
        ticket,
        actor=world.agent,
        body_html="<p>The manual is attached.</p>",
        uploads=[lifecycle.Upload("manual.pdf", "application/pdf", pdf)],
    )
    lifecycle.resolve(
        ticket,
        actor=world.agent,
        explanation_html="<p>Fixed, log attached.</p>",
        uploads=[lifecycle.Upload("fix.log", "text/plain", b"fixed")],
    )
    run_worker()

    reply, resolution = smtp_server.to("ken@example.com")[-2:]
    [part] = list(reply.message.iter_attachments())
    assert part.get_filename() == "manual.pdf" and part.get_content_type() == "application/pdf"
    assert part.get_content() == pdf
    [log_part] = list(resolution.message.iter_attachments())
    assert log_part.get_filename() == "fix.log"
    assert log_part.get_content().strip() == "fixed"  # a text part: CRLF added
    [autoresponse] = [m for m in smtp_server.to("ken@example.com") if "Auto-Submitted" in m.message]
    assert not list(autoresponse.message.iter_attachments())


@pytest.mark.django_db(transaction=True)
def test_a_file_gone_from_storage_is_left_out_and_the_reply_still_goes(
    world: World, smtp_server: SMTPServer
) -> None:
    ticket = lifecycle.reply(
        world.open(),
        actor=world.agent,
        body_html="<p>Attached.</p>",
        uploads=[lifecycle.Upload("gone.pdf", "application/pdf", b"%PDF")],
    )
    stored = Attachment.objects.get(entry__ticket=ticket, entry__kind="reply")
    stored.file.storage.delete(str(stored.file.name))
    run_worker()

    reply = smtp_server.to("ken@example.com")[-1]
    assert "Attached." in reply.text
    assert not list(reply.message.iter_attachments())


@pytest.mark.django_db(transaction=True)
def test_an_agent_reply_reaches_customer_and_collaborators_threaded_under_earlier_mail(
    world: World, smtp_server: SMTPServer
) -> None:
    carol = make_customer("Carol Cc", "carol@example.net")
    ticket = world.open(collaborators=[carol])
    run_worker()
    [autoresponse] = smtp_server.to("ken@example.com")

    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it &amp; wait.</p>")
    run_worker()

    reply = smtp_server.to("ken@example.com")[-1]
    assert reply is not autoresponse
    assert reply.rcpt_tos == ["ken@example.com"]
    assert reply.header("To") == "Ken Adams <ken@example.com>"
    assert reply.header("Subject") == f"Re: [#{ticket.number}] Printer on fire"
    assert ticket_number_from_ids(reply.header("Message-ID")) == ticket.number
    assert reply.header("In-Reply-To") == autoresponse.header("Message-ID")
    assert ids(reply.header("References")) == [autoresponse.header("Message-ID")]
    assert "Auto-Submitted" not in reply.message  # written by a person
    assert "Unplug it & wait." in reply.text
    assert "<p>Unplug it &amp; wait.</p>" in reply.html
    assert reply.text.startswith(f"-- Reply above this line to add to ticket #{ticket.number} --")
    assert "/t/" in reply.text  # the customer's signed link...
    [copy] = smtp_server.to("carol@example.net")
    assert copy.header("To") == "Carol Cc <carol@example.net>"
    assert "Unplug it & wait." in copy.text
    assert "/t/" not in copy.text and "/t/" not in copy.html  # ...acts as the customer
    # Threads name the mail each reader got before: this is Carol's first.
    assert "In-Reply-To" not in copy.message
    assert ticket_number_from_ids(copy.header("Message-ID")) == ticket.number
    # Agents heard about the new ticket; nobody else got the customer's mail.
    assert {r for m in smtp_server.messages for r in m.rcpt_tos} == {
        "ken@example.com",
        "carol@example.net",
        "alice.agent@example.com",
        "sam.super@example.com",
    }


def test_the_departments_agents_get_an_alert_about_a_new_ticket(
    world: World, smtp_server: SMTPServer
) -> None:
    world.support.manager = world.admin  # a manager without access rows hears too
    world.support.save()
    away = lifecycle_agent(world, "vic.vacation", on_vacation=True)
    gone = lifecycle_agent(world, "ina.inactive", active=False)

    ticket = world.open(body_html="<p>It is <b>really</b> on fire.</p>")
    deliver_pending()

    alerts = [m for m in smtp_server.messages if m.header("Auto-Submitted") == "auto-generated"]
    assert sorted(r for m in alerts for r in m.rcpt_tos) == [
        "ada.admin@example.com",
        "alice.agent@example.com",
        "sam.super@example.com",
    ]
    assert away.user.email not in str(smtp_server.messages)
    assert gone.user.email not in str(smtp_server.messages)
    alert = smtp_server.to("alice.agent@example.com")[0]
    assert alert.header("Subject") == f"New ticket #{ticket.number}: Printer on fire"
    assert "Hello Alice Agent," in alert.text
    assert "It is really on fire." in alert.text
    assert f"{django_settings.HELPLINE_BASE_URL}/desk/tickets/{ticket.number}/" in alert.text
    assert ticket_number_from_ids(alert.header("Message-ID")) == ticket.number


def test_the_resolution_notice_carries_the_explanation(
    world: World, smtp_server: SMTPServer
) -> None:
    ticket = world.open()
    ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Looking.</p>")
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Replaced the fuser.</p>")
    deliver_pending()

    autoresponse, reply, notice = smtp_server.to("ken@example.com")
    assert notice.header("Subject") == f"Resolved: [#{ticket.number}] Printer on fire"
    assert "Replaced the fuser." in notice.text and "Replaced the fuser." in notice.html
    assert notice.header("In-Reply-To") == reply.header("Message-ID")
    assert ids(notice.header("References")) == [
        autoresponse.header("Message-ID"),
        reply.header("Message-ID"),
    ]


def test_a_failing_smtp_server_leaves_the_message_pending_then_a_later_run_sends_it_once(
    world: World, settings: Any
) -> None:
    port = free_port()  # nobody listens here yet
    server = SMTPServer(port)
    settings.MAILERS = server.mailer_settings()
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)

    before = timezone.now()
    assert deliver(mail.pk) == SendResult.RETRY

    mail.refresh_from_db()
    assert mail.status == OutboundStatus.PENDING
    assert mail.attempts == 1
    assert "ConnectionRefusedError" in mail.last_error
    assert mail.next_attempt_at is not None
    assert before + RETRY_DELAYS[0] <= mail.next_attempt_at <= timezone.now() + RETRY_DELAYS[0]
    assert send_due()[SendResult.SENT] == 0  # not due yet: nothing is tried early

    server.start()
    try:
        OutboundMessage.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
        assert send_due()[SendResult.SENT] >= 1  # the retry time has come
        assert send_due()[SendResult.SENT] == 0
        assert deliver(mail.pk) == SendResult.SKIPPED
    finally:
        server.stop()

    assert len(server.to("ken@example.com")) == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (OutboundStatus.SENT, 2, "")


def test_a_refusing_server_is_retried_with_growing_waits_then_the_message_fails_visibly(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    smtp_server.refuse_next(5)

    waits = []
    for _ in range(5):
        OutboundMessage.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
        outcome = deliver(mail.pk)
        mail.refresh_from_db()
        if mail.next_attempt_at:
            waits.append(round((mail.next_attempt_at - timezone.now()) / timedelta(minutes=1)))

    assert outcome == SendResult.FAILED
    assert waits == [1, 5, 25, 125]
    assert (mail.status, mail.attempts) == (OutboundStatus.FAILED, 5)
    assert "451" in mail.last_error and "Try again later" in mail.last_error
    assert deliver(mail.pk) == SendResult.SKIPPED
    assert smtp_server.to("ken@example.com") == []


def test_a_permanent_refusal_fails_at_once(world: World, smtp_server: SMTPServer) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    smtp_server.refuse_next(1, "554 5.7.1 Rejected as spam")

    assert deliver(mail.pk) == SendResult.FAILED

    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundStatus.FAILED, 1)
    assert "554" in mail.last_error


def test_a_message_whose_sender_died_mid_send_is_sent_again_once_its_lease_is_over(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    # As a sender leaves it after claiming: sending, one attempt, leased.
    OutboundMessage.objects.filter(pk=mail.pk).update(
        status=OutboundStatus.SENDING, attempts=1, next_attempt_at=timezone.now() + LEASE
    )
    assert deliver(mail.pk) == SendResult.SKIPPED  # still its sender's
    assert retry([mail.pk]) == []  # "retry now" leaves a message being sent alone

    OutboundMessage.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
    assert send_due()[SendResult.SENT] >= 1

    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundStatus.SENT, 2)
    assert len(smtp_server.to("ken@example.com")) == 1


@pytest.mark.django_db(transaction=True)
def test_running_the_send_task_twice_for_one_message_sends_one_mail(
    world: World, smtp_server: SMTPServer
) -> None:
    from helpline.notify.tasks import send_outbound

    world.open()
    fan_out_pending()  # the fan-out's send task is queued on its commit
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    send_outbound.enqueue(mail.pk)  # a second task beside the one queued on commit

    run_worker()
    assert send_outbound.call(mail.pk) == SendResult.SKIPPED

    assert len(smtp_server.to("ken@example.com")) == 1
    assert DBTaskResult.objects.filter(task_path__contains=".send_outbound").count() >= 2
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundStatus.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_nothing(world: World, smtp_server: SMTPServer) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        world.open()
        assert MailBatch.objects.exists()  # written with the change...
        raise RuntimeError("something later in the same transaction failed")

    assert not MailBatch.objects.exists()  # ...and gone with it
    assert not DBTaskResult.objects.exists()
    assert fan_out_pending() == []
    assert not OutboundMessage.objects.exists()
    run_worker()
    assert smtp_server.messages == []


def lifecycle_agent(
    world: World, username: str, *, on_vacation: bool = False, active: bool = True
) -> Agent:
    """Another agent with access to Support."""
    agent = make_agent(username, Role.AGENT, world.support)
    agent.is_on_vacation = on_vacation
    agent.save()
    agent.user.is_active = active
    agent.user.save()
    return agent


def test_a_message_whose_senders_keep_dying_fails_visibly_after_the_last_attempt(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    OutboundMessage.objects.filter(pk=mail.pk).update(
        status=OutboundStatus.SENDING, attempts=MAX_ATTEMPTS, next_attempt_at=timezone.now()
    )

    assert deliver(mail.pk) == SendResult.FAILED

    mail.refresh_from_db()
    assert (mail.status, mail.last_error) == (
        OutboundStatus.FAILED,
        "The sender stopped while sending.",
    )
    assert smtp_server.messages == []


def test_the_worker_scheduler_can_run_the_periodic_sweep(
    world: World, smtp_server: SMTPServer, settings: Any
) -> None:
    from helpline.worker.scheduler import tick

    settings.HELPLINE_PERIODIC_JOBS = {
        "notify.send_due": ("helpline.notify.tasks.send_due_mail", 60)
    }
    world.open()  # its tasks were never queued: the test transaction never commits

    assert tick() == ["notify.send_due"]
    assert DBTaskResult.objects.filter(task_path="helpline.notify.tasks.send_due_mail").exists()
    # What the worker runs: the change's mail is fanned out, then sent.
    assert send_due_mail.call() == {"fan_out_done": 1, SendResult.SENT: 3}
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db(transaction=True)
def test_a_picture_in_the_text_goes_inline_with_its_content_id(
    world: World, smtp_server: SMTPServer
) -> None:
    png = b"\x89PNG\r\n\x1a\n the picture"
    ticket = lifecycle.reply(
        world.open(),
        actor=world.agent,
        body_html='<p>Here:</p><img src="cid:shot@helpline">',
        uploads=[
            lifecycle.Upload("shot.png", "image/png", png, "shot@helpline"),
            lifecycle.Upload("bad.png", "image/png", png, "bad id"),  # stored by hand before
        ],
    )
    run_worker()

    reply = smtp_server.to("ken@example.com")[-1]
    assert 'src="cid:shot@helpline"' in reply.html
    # mixed( alternative( text, related( html, the picture ) ), the other file )
    top = reply.message
    assert top.get_content_type() == "multipart/mixed"
    alternative, plain = list(top.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    text, related = list(alternative.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, inline = list(related.iter_parts())
    assert html.get_content_type() == "text/html"
    assert inline["Content-ID"] == "<shot@helpline>"
    assert inline.get_content_disposition() == "inline" and inline.get_content() == png
    # An id a header may not carry goes as a plain attachment, never in a header.
    assert plain["Content-ID"] is None and plain.get_content_disposition() == "attachment"
    assert ticket.entries.count() == 2
