"""Signed links that let a customer reach one ticket without logging in.

A token signs the ticket's number and its customer's id with a timestamp, so it
works for that ticket only, stops working when the ticket moves to another
customer, and expires after `HELPLINE_TICKET_LINK_MAX_AGE_DAYS` days. Changing
SECRET_KEY invalidates every link.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from helpline.tickets.models import Ticket

SALT = "helpline.portal.ticket"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _max_age() -> timedelta:
    return timedelta(days=settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS)


def ticket_token(ticket: Ticket) -> str:
    """A signed, expiring token for `ticket` (safe to put in a URL path)."""
    return _signer().sign(f"{ticket.number}.{ticket.customer_id}")


def _ticket_for(value: str) -> Ticket | None:
    number, _, customer_id = value.partition(".")
    if not number or not customer_id.isdigit():
        return None
    return (
        Ticket.objects.select_related("status", "topic", "customer")
        .filter(number=number, customer_id=int(customer_id))
        .first()
    )


def ticket_from_token(token: str) -> Ticket | None:
    """The ticket a valid, unexpired token names, else None."""
    try:
        value = _signer().unsign(token, max_age=_max_age())
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return _ticket_for(value)


def token_expired(token: str) -> bool:
    """True when the token was genuinely signed by us but is too old.

    Lets the portal say "this link expired, ask for a new one" instead of a bare 404;
    a forged or mangled token is never reported as expired.
    """
    try:
        _signer().unsign(token, max_age=_max_age())
    except signing.SignatureExpired:
        return True
    except signing.BadSignature:
        return False
    return False


def ticket_path(ticket: Ticket) -> str:
    return reverse("portal:signed_ticket", kwargs={"token": ticket_token(ticket)})


def ticket_url(request: HttpRequest, ticket: Ticket) -> str:
    """The absolute signed link to `ticket`, for the page or an email."""
    return request.build_absolute_uri(ticket_path(ticket))
