"""Background work of the portal, run by the worker (`helpline worker`), never
inside a request: a slow or failing mail server must not slow the page down or
tell a visitor, by its timing, whether a ticket exists."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task

from helpline.accounts.models import User
from helpline.tickets.models import Ticket

log = logging.getLogger(__name__)


@task()
def mail_ticket_link(ticket_id: int, link: str) -> None:
    """Mail a customer the signed link to their ticket. A failure raises, so the
    task is recorded as failed (visible in the admin) instead of vanishing."""
    ticket = Ticket.objects.select_related("customer").get(pk=ticket_id)
    days = settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS
    send_mail(
        f"Your ticket #{ticket.number}: {ticket.subject}",
        f"Hello {ticket.customer.name},\n\n"
        f"here is the link to your ticket #{ticket.number}:\n\n{link}\n\n"
        f"The link works for {days} days. If you did not ask for it, ignore this mail.\n",
        None,
        [ticket.customer.email],
    )
    log.info("Mailed the link to ticket %s", ticket.number)


@task()
def mail_confirmation(user_id: int, link: str) -> None:
    """Mail the link that confirms a new account's address (see portal.accounts)."""
    user = User.objects.get(pk=user_id)
    send_mail(
        "Confirm your address to finish your help desk account",
        f"Hello {user.get_full_name() or user.email},\n\n"
        f"follow this link to confirm your address and finish your account:\n\n{link}\n\n"
        "The link works for 3 days. If you did not ask for an account, ignore this mail.\n",
        None,
        [user.email],
    )
