"""The rating card on the portal's ticket page, as a template tag.

The portal renders it by name (`{% load feedback %}{% rating_card ticket url %}`)
instead of importing this app: channels never import each other (see
helpline/web/__init__.py), and the card is this app's own presentation.
"""

from __future__ import annotations

from typing import Any

from django import template

from helpline.feedback.portal import rating_card as card_of
from helpline.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("feedback/_portal_card.html")
def rating_card(ticket: Ticket, next_url: str) -> dict[str, Any]:
    """The invitation to rate the latest answer, or the rating given (one query);
    nothing when there is neither. `next_url`: where the form returns to."""
    return {"rating_card": card_of(ticket, next_url)}
