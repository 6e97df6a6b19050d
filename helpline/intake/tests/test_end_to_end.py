"""The whole round trip with real servers: a customer's mail in Dovecot becomes a
ticket; the agent's reply reaches a real SMTP server (aiosmtpd, through notify's
outbox); the customer's answer, built from that very message as a mail client
would, lands in Dovecot again and threads into the same ticket; an out-of-office
reply and a bounce of the agent's mail open nothing."""

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
from helpline.intake.tests.helpers import bounce, mail
from helpline.intake.tests.test_fetch import deliver
from helpline.notify.defaults import ensure_templates
from helpline.notify.tests.helpers import deliver_pending
from helpline.notify.tests.smtp import Received, SMTPServer
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, EntryKind, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server
    server.stop()


def answer(received: Received, *, body: str, headers: dict[str, str] | None = None) -> bytes:
    """What a mail client sends when the customer answers `received`: quoted below,
    threaded by its Message-ID."""
    original = received.message
    reply = EmailMessage()
    reply["From"] = "Ken Adams <ken@example.com>"
    reply["To"] = str(original["From"])
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Message-ID"] = make_msgid(domain="mail.example.com")
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
    for name, value in (headers or {}).items():
        reply[name] = value
    quoted = "\n".join(f"> {line}" for line in received.text.splitlines())
    reply.set_content(f"{body}\n\nOn Monday, Helpline <{original['From']}> wrote:\n{quoted}\n")
    return reply.as_bytes(policy=SMTP)


def test_a_customers_answer_to_the_agents_mailed_reply_threads_into_the_ticket(
    world: World, dovecot: Dovecot, account: Account, smtp_server: SMTPServer
) -> None:
    ensure_templates()  # transactional tests empty the template rows
    mailbox = imap_mailbox(world, dovecot, account)
    deliver(dovecot, account, mail(subject="Printer on fire", to=account.address))
    assert poll_mailbox(mailbox).outcomes == {LedgerOutcome.TICKET: 1}
    ticket = Ticket.objects.get()

    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it, then wait.</p>")
    deliver_pending()
    agents_reply = next(m for m in smtp_server.to("ken@example.com") if "Unplug it" in m.text)

    deliver(
        dovecot,
        account,
        answer(agents_reply, body="Done, the fire is out."),
        answer(agents_reply, body="I am away until Monday.",
               headers={"Auto-Submitted": "auto-replied"}),
        bounce(original=agents_reply.raw),
    )  # fmt: skip
    sent_before = len(smtp_server.messages)
    result = poll_mailbox(mailbox)

    assert result.error == ""
    assert result.outcomes == {LedgerOutcome.REPLY: 1, LedgerOutcome.NOTE: 2}
    assert Ticket.objects.count() == 1
    thread = list(Entry.objects.filter(ticket=ticket).order_by("pk"))
    answer_entry = next(e for e in thread if e.kind == EntryKind.MESSAGE and e.pk > thread[0].pk)
    assert answer_entry.customer == world.customer
    assert answer_entry.body == "<p>Done, the fire is out.</p>"  # no quote, no marker
    notes = [e.body for e in thread if e.kind == EntryKind.NOTE]
    assert any("Automatic reply" in n and "away until Monday" in n for n in notes)
    assert any("could not be delivered" in n for n in notes)
    # Nothing was sent back to the out-of-office or to the mailer daemon.
    deliver_pending()
    new = smtp_server.messages[sent_before:]
    assert not any("mailer-daemon" in r.lower() for m in new for r in m.rcpt_tos)
    assert not [m for m in new if m.header("Auto-Submitted") == "auto-replied"]
