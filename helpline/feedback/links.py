"""Signed links that let a customer rate one resolution without logging in.

A token signs the RESOLVED event's id and the ticket's customer's id with a
timestamp (its own salt, so a ticket link is no rating link and the other way
round). It stops working when the ticket moves to another customer, and expires
after `RATING_LINK_MAX_AGE_DAYS` days (the setting `HELPLINE_RATING_LINK_MAX_AGE_DAYS`
overrides it). Changing SECRET_KEY invalidates every link.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from helpline.tickets.models import Event, EventKind, Score

SALT = "helpline.feedback.rate"
RATING_LINK_MAX_AGE_DAYS = 60


def max_age_days() -> int:
    return int(getattr(settings, "HELPLINE_RATING_LINK_MAX_AGE_DAYS", RATING_LINK_MAX_AGE_DAYS))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def rating_token(event: Event) -> str:
    """A signed, expiring token for rating the resolution `event` (URL-path safe)."""
    return _signer().sign(f"{event.pk}.{event.ticket.customer_id}")


def event_from_rating_token(token: str) -> Event | None:
    """The RESOLVED event a valid, unexpired token names, with its ticket and the
    ticket's customer; None for anything else."""
    try:
        value = _signer().unsign(token, max_age=timedelta(days=max_age_days()))
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    event_id, _, customer_id = value.partition(".")
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


def token_expired(token: str) -> bool:
    """True when the token is genuinely ours but too old (a forged one never is)."""
    try:
        _signer().unsign(token, max_age=timedelta(days=max_age_days()))
    except signing.SignatureExpired:
        return True
    except signing.BadSignature:
        return False
    return False


def rating_path(event: Event, score: str = "") -> str:
    """The rating page of `event`, with `score` preselected when given."""
    path = reverse("feedback:rate", kwargs={"token": rating_token(event)})
    return f"{path}?score={score}" if score else path


def rating_links(event: Event) -> dict[str, str]:
    """Absolute links for mail, one per score: {"good": url, "okay": url, "bad": url}.
    One token serves all three (signing once)."""
    path = reverse("feedback:rate", kwargs={"token": rating_token(event)})
    base = settings.HELPLINE_BASE_URL
    return {score: f"{base}{path}?score={score}" for score in Score.values}
