"""The rating card of the portal's ticket page (rendered by the `rating_card` tag,
helpline/feedback/templatetags/feedback.py)."""

from __future__ import annotations

from typing import Any

from helpline.tickets.links import rating_path
from helpline.tickets.models import (
    RATING_COMMENT_MAX_LENGTH,
    Event,
    EventKind,
    Rating,
    Score,
    State,
    Ticket,
)


def rating_card(ticket: Ticket, next_url: str) -> dict[str, Any] | None:
    """The portal ticket page's card about the latest answer, in one query: the
    rating given, or (for a resolved or closed ticket) the invitation to rate it.
    None when there is nothing to show."""
    latest = (
        Event.objects.select_related("rating")
        .filter(ticket=ticket, kind=EventKind.RESOLVED)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return None
    latest.ticket = ticket  # the link signs the ticket's customer: no second read
    rating: Rating | None = getattr(latest, "rating", None)
    if rating is not None:
        return {"rating": rating, "resolution": latest}
    # An open ticket (reopened since) is not settled: no invitation on the page.
    if ticket.state != State.CLOSED:
        return None
    return {
        "rating": None,
        "resolution": latest,
        "action": rating_path(latest),
        "next": next_url,
        "choices": Score.choices,
        "comment_max": RATING_COMMENT_MAX_LENGTH,
        "status": ticket.status,  # the template says it in the intro
    }
