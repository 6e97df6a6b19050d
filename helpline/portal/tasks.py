"""The worker's half of the portal's account pages: what a visitor typed on the
status lookup or the registration form arrives here in one task, and only here is
it looked up and the mail written to the outbox (`helpline.notify.accountmail`),
to be sent by the worker with retries.

The pages only enqueue the task and answer, the same work whatever was typed, so
neither their answer nor their timing tells whether a ticket or an account exists
(a lookup in the request took measurably longer when one did).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils.timesince import timeuntil
from django.utils.timezone import now

from helpline.accounts.customers import customers_with_email
from helpline.notify.accountmail import account_mail_allowed, queue_account_mail
from helpline.notify.models import MailKind
from helpline.tickets.links import ticket_path
from helpline.tickets.models import Ticket


@task()
def mail_ticket_link(email: str, number: str) -> None:
    """The status lookup: mail the signed link of ticket `number` to `email`, if
    that address is the ticket's customer's and its mailbox may have one more
    account mail; otherwise nothing."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_related("customer")
            .filter(number=number[:20], customer__in=customers_with_email(email))
            .first()
        )
        if ticket is None or not account_mail_allowed(email):
            return
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
                # Called while rendering, in the customer's language.
                "valid_for": partial(timeuntil, moment + days, moment),
            },
        )


@task()
def mail_registration(email: str, language: str = "") -> None:
    """Registration: mail `email` the link it needs (`portal.accounts`)."""
    from helpline.portal.accounts import request_account  # the pages import this module

    request_account(email, language)
