"""osTicket's raw-mail endpoint (`/api/tickets.email`) takes a whole message that the
API client wrote, headers included, so it must never be judged more kindly than mail
from a stranger: no Authentication-Results of it are read, and no id it chose makes
its next message trusted (docs/security/replies.md). `key` is a create-only key,
the kind embedded in public web forms."""

from __future__ import annotations

from django.test import Client

from helpline.conftest import World
from helpline.intake.models import Mailbox
from helpline.intake.tests.helpers import mail
from helpline.intake.tests.test_forged_replies import resolved, unchanged
from helpline.tickets.models import HeldReply

from .osticket import post


def test_a_create_only_key_cannot_post_as_a_customer_with_a_made_up_authentication_header(
    world: World, client: Client, key: str
) -> None:
    """Even where the mailbox the mail names trusts mx.helpline.test: mail from our
    server has our header on top, but a body POSTed here has whatever the client
    wrote on top."""
    Mailbox.objects.create(
        department=world.support,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test",
    )
    ticket = resolved(world)
    forged = (
        b"Authentication-Results: mx.helpline.test; dmarc=pass header.from=example.com\r\n"
        + mail(subject=f"Re: [#{ticket.number}] Printer on fire", body="Delete my data.")
    )

    response = post(client, "/api/tickets.email", forged, key, "message/rfc822")

    assert response.status_code in (201, 202), response.content
    unchanged(ticket)
    assert HeldReply.objects.get(ticket=ticket).reasons == [HeldReply.Reason.NO_TOKEN]


def test_a_create_only_key_cannot_post_as_a_customer_by_threading_on_its_own_held_mail(
    world: World, client: Client, key: str
) -> None:
    """The first POST is held; its Message-ID, chosen by the client, is in the
    intake ledger with the ticket, and the second POST "answers" it."""
    ticket = resolved(world)
    first = mail(subject=f"Re: [#{ticket.number}]", message_id="<k1@evil.example>")
    post(client, "/api/tickets.email", first, key, "message/rfc822")
    second = mail(subject="Re: hi", body="Delete my data.", in_reply_to="<k1@evil.example>")

    post(client, "/api/tickets.email", second, key, "message/rfc822")

    unchanged(ticket)
    assert HeldReply.objects.filter(ticket=ticket).count() == 2
