"""Forged and genuine replies, the whole way round with real servers: our mail to the
customer leaves through a real SMTP server (aiosmtpd) with its reply token; answers
built from that very message, and forgeries that only know the ticket number, land
in Dovecot and are fetched over IMAP by the worker's poll."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import Any

import pytest

from helpline.conftest import World
from helpline.intake.fetch import poll_mailbox
from helpline.intake.models import LedgerOutcome
from helpline.intake.tests.conftest import imap_mailbox
from helpline.intake.tests.dovecot import Account, Dovecot
from helpline.intake.tests.helpers import mail
from helpline.intake.tests.test_fetch import deliver
from helpline.notify.defaults import ensure_templates
from helpline.notify.tests.helpers import deliver_pending
from helpline.notify.tests.smtp import Received, SMTPServer
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, HeldReply, State, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

OUR_SERVER = "mx.helpline.test"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server
    server.stop()


def answer(received: Received, *, body: str, threaded: bool = True) -> bytes:
    """What Ken's mail client sends when he answers `received`: to its Reply-To
    (else its From), quoting it, threaded by its Message-ID unless `threaded` is
    off (a client that keeps only the address, e.g. a reply written on the phone)."""
    original = received.message
    reply = EmailMessage()
    reply["From"] = "Ken Adams <ken@example.com>"
    reply["To"] = str(original.get("Reply-To") or original["From"])
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Message-ID"] = make_msgid(domain="mail.example.com")
    if threaded:
        reply["In-Reply-To"] = str(original["Message-ID"])
        reply["References"] = str(original["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in received.text.splitlines())
    reply.set_content(f"{body}\n\nOn Monday, Helpline wrote:\n{quoted}\n")
    return reply.as_bytes(policy=SMTP)


def checked_by_our_server(raw: bytes, results: str) -> bytes:
    return f"Authentication-Results: {OUR_SERVER}; {results}\r\n".encode() + raw


def test_answers_built_from_our_mail_are_trusted_and_forgeries_are_held(
    world: World, dovecot: Dovecot, account: Account, smtp_server: SMTPServer, settings: Any
) -> None:
    settings.HELPLINE_REPLY_ADDRESS_TOKENS = True
    ensure_templates()  # transactional tests empty the template rows
    mailbox = imap_mailbox(world, dovecot, account, authserv_ids=OUR_SERVER)
    deliver(dovecot, account, mail(subject="Printer on fire", to=account.address))
    assert poll_mailbox(mailbox).outcomes == {LedgerOutcome.TICKET: 1}
    ticket = Ticket.objects.get()
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it, then wait.</p>")
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Replaced it.</p>")
    deliver_pending()
    ours = next(m for m in smtp_server.to("ken@example.com") if "Unplug it" in m.text)
    # The Reply-To carries Ken's own token for this ticket.
    local, _, domain = ours.message["Reply-To"].addresses[0].addr_spec.partition("@")
    assert local.startswith(f"helpdesk+t.{ticket.number}.") and domain == "localhost"
    sent_before = len(smtp_server.messages)

    deliver(
        dovecot,
        account,
        # Only the ticket number, in Ken's name, and from a stranger.
        mail(subject=f"Re: [#{ticket.number}] Printer on fire", body="Cancel my order."),
        mail(sender="mal@example.net", subject=f"Re: [#{ticket.number}]", body="Let me in."),
        # A copy of Ken's real answer, token and all, that our server saw fail DMARC.
        checked_by_our_server(
            answer(ours, body="Wire the refund to XX00 1234."),
            "spf=fail smtp.mailfrom=example.com; dmarc=fail (p=reject) header.from=example.com",
        ),
    )
    result = poll_mailbox(mailbox)

    assert result.error == "" and result.outcomes == {LedgerOutcome.NOTE: 3}
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.state == State.CLOSED and fresh.reopen_count == 0
    held = list(HeldReply.objects.filter(ticket=ticket).order_by("pk"))
    assert [h.reasons for h in held] == [["no_token"], ["stranger"], ["auth_failed"]]
    assert all(h.is_waiting for h in held)
    deliver_pending()
    assert smtp_server.messages[sent_before:] == []  # nobody was told anything

    deliver(
        dovecot,
        account,
        answer(ours, body="Done, the fire is out."),
        # The Reply-To alone, no In-Reply-To/References: still Ken's token.
        answer(ours, body="And it stays out.", threaded=False),
    )
    result = poll_mailbox(mailbox)

    assert result.outcomes == {LedgerOutcome.REPLY: 2}
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.is_open and fresh.reopen_count == 1
    messages = fresh.entries.filter(kind=EntryKind.MESSAGE).order_by("pk")
    assert [m.body for m in messages][-2:] == [
        "<p>Done, the fire is out.</p>",
        "<p>And it stays out.</p>",
    ]
    assert all(m.customer == world.customer for m in messages)
