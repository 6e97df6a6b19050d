"""Portal mail, through the outbox (helpline.notify.accountmail): written in the
request's transaction and sent by the worker with retries, never inside a request,
so a slow or failing mail server neither slows the page down nor tells a visitor,
by its timing, whether a ticket exists."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.timesince import timeuntil
from django.utils.timezone import now

from helpline.notify.accountmail import queue_account_mail
from helpline.notify.models import MailKind
from helpline.portal.links import ticket_path
from helpline.tickets.models import Ticket


def mail_ticket_link(ticket: Ticket) -> None:
    """Queue the mail with the signed link to `ticket`, to its customer."""
    moment = now()
    days = timedelta(days=settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS)
    queue_account_mail(
        MailKind.TICKET_LINK,
        name=ticket.customer.name,
        email=ticket.customer.email,
        ticket=ticket,
        context={
            "ticket": {"number": ticket.number, "subject": ticket.subject},
            "link": settings.HELPLINE_BASE_URL + ticket_path(ticket),
            "valid_for": timeuntil(moment + days, moment),
        },
    )
