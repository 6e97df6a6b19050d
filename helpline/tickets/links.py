"""Signed links that act as a ticket's customer without a login.

Two kinds, each with its own salt (so a ticket link is no rating link and the other
way round), both made with `helpline.lib.tokens`:

- the guest link to one ticket: signs the ticket's number and its customer's id,
  so it works for that ticket only, stops working when the ticket moves to another
  customer, and expires after `HELPLINE_TICKET_LINK_MAX_AGE_DAYS` days;
- the rating link of one resolution: signs the RESOLVED event's id and the
  ticket's customer's id, and expires after `RATING_LINK_MAX_AGE_DAYS` days (the
  setting `HELPLINE_RATING_LINK_MAX_AGE_DAYS` overrides it).

They sit beside the ticket domain, below the channels and the mail, because both
make them: the portal and the rating page read them, the outbox mails them. The
URLs come from the route names ("portal:...", "feedback:..."), never by importing
those apps. The salts and the signed values are the ones the links carried when
the portal and feedback apps made them, so links mailed before still work.
Changing SECRET_KEY invalidates every link.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from helpline.lib import tokens
from helpline.tickets.models import Event, EventKind, Score, Ticket

TICKET_SALT = "helpline.portal.ticket"
RATING_SALT = "helpline.feedback.rate"
RATING_LINK_MAX_AGE_DAYS = 60


# --- the guest link to a ticket --------------------------------------------------------


def _ticket_max_age() -> timedelta:
    return timedelta(days=settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS)


def ticket_token(ticket: Ticket) -> str:
    """A signed, expiring token for `ticket` (safe to put in a URL path)."""
    return tokens.sign(f"{ticket.number}.{ticket.customer_id}", salt=TICKET_SALT)


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
    verified = tokens.verify(token, salt=TICKET_SALT, max_age=_ticket_max_age())
    return _ticket_for(verified.value) if verified.valid else None


def ticket_token_expired(token: str) -> bool:
    """True when the token was genuinely signed by us but is too old.

    Lets the portal say "this link expired, ask for a new one" instead of a bare 404;
    a forged or mangled token is never reported as expired.
    """
    return tokens.verify(token, salt=TICKET_SALT, max_age=_ticket_max_age()).expired


def ticket_path(ticket: Ticket) -> str:
    return reverse("portal:signed_ticket", kwargs={"token": ticket_token(ticket)})


def ticket_url(request: HttpRequest, ticket: Ticket) -> str:
    """The absolute signed link to `ticket`, for the page or an email."""
    return request.build_absolute_uri(ticket_path(ticket))


# --- the rating link of a resolution ------------------------------------------------


def rating_link_max_age_days() -> int:
    return int(getattr(settings, "HELPLINE_RATING_LINK_MAX_AGE_DAYS", RATING_LINK_MAX_AGE_DAYS))


def _rating_max_age() -> timedelta:
    return timedelta(days=rating_link_max_age_days())


def rating_token(event: Event) -> str:
    """A signed, expiring token for rating the resolution `event` (URL-path safe)."""
    return tokens.sign(f"{event.pk}.{event.ticket.customer_id}", salt=RATING_SALT)


def event_from_rating_token(token: str) -> Event | None:
    """The RESOLVED event a valid, unexpired token names, with its ticket and the
    ticket's customer; None for anything else."""
    verified = tokens.verify(token, salt=RATING_SALT, max_age=_rating_max_age())
    if not verified.valid:
        return None
    event_id, _, customer_id = verified.value.partition(".")
    if not event_id.isdigit() or not customer_id.isdigit():
        return None
    return (
        Event.objects.select_related("ticket__customer", "ticket__status", "agent")
        .filter(
            pk=int(event_id),
            kind=EventKind.RESOLVED,
            ticket__customer_id=int(customer_id),
        )
        .first()
    )


def rating_token_expired(token: str) -> bool:
    """True when the token is genuinely ours but too old (a forged one never is)."""
    return tokens.verify(token, salt=RATING_SALT, max_age=_rating_max_age()).expired


def rating_path(event: Event, score: str = "") -> str:
    """The rating page of `event`, with `score` preselected when given."""
    path = reverse("feedback:rate", kwargs={"token": rating_token(event)})
    return f"{path}?score={score}" if score else path


def rating_links(event: Event) -> dict[str, str]:
    """Absolute links for mail, one per score: {"good": url, ...}, the names the
    resolution mail's templates use (`rating_links.good`). One token serves them
    all (signing once)."""
    path = reverse("feedback:rate", kwargs={"token": rating_token(event)})
    base = settings.HELPLINE_BASE_URL
    return {score: f"{base}{path}?score={score}" for score in Score.values}
