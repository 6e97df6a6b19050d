"""Which ticket a mail answers, from the Message-IDs it names (for intake).

Every mail we send has a Message-ID of ours that names its ticket and is signed
(`helpline.lib.mailids`), and the outbox stores it. A reply's In-Reply-To and
References name those ids, so intake can file the reply without trusting the
subject line.
"""

from __future__ import annotations

import re

from helpline.lib.mailids import ticket_number_from_ids
from helpline.notify.addresses import bare_address
from helpline.notify.models import OutboundMessage
from helpline.tickets.models import Ticket

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# A References header can be long; a mail naming more ids than this is not a reply
# to us in any useful sense, and the lookup stays one small indexed query.
MAX_IDS = 50


def ticket_for_message_ids(*headers: str | None) -> Ticket | None:
    """The ticket named by the Message-IDs in these headers (In-Reply-To,
    References, ...): first an id we sent and stored, then any genuine signed id of
    ours (mail sent before the outbox row existed, or whose row was deleted).
    None when no id is ours; forged ids never match."""
    ids = [found for header in headers for found in _MESSAGE_ID.findall(header or "")]
    if ids:
        sent = (
            OutboundMessage.objects.filter(message_id__in=ids[-MAX_IDS:])
            .select_related("ticket")
            .order_by("-created_at", "-id")
            .first()
        )
        if sent is not None:
            return sent.ticket
    number = ticket_number_from_ids(*headers)
    return Ticket.objects.filter(number=number).first() if number else None


def was_sent_to(address: str, *headers: str | None) -> bool:
    """True when these headers answer a mail we sent to `address`.

    A From line proves nothing, and a customer knows our ids of their own ticket;
    but only the agent received the alerts we sent to the agent. So mail that
    claims to come from an agent acts as that agent only when it answers one.
    """
    ids = [found for header in headers for found in _MESSAGE_ID.findall(header or "")]
    if not ids:
        return False
    wanted = bare_address(address)
    rows = OutboundMessage.objects.filter(message_id__in=ids[-MAX_IDS:]).values_list(
        "to", flat=True
    )
    return any(bare_address(to) == wanted for recipients in rows for to in recipients)
