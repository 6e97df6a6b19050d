"""The customer's rating of a resolution (customer satisfaction).

A rating is not a change to the ticket's state: it leaves the ticket's version and
`updated_at` alone, so an agent editing the ticket meanwhile never gets a
conflict, and the queues do not move. It still happens under the ticket's lock,
with its RATED event, in one transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Customer
from helpline.tickets.lifecycle.core import (
    NotAllowed,
    Refused,
    actor_name,
    lock_ticket,
    refuse_archived,
    write_events,
)
from helpline.tickets.lifecycle.thread import is_party
from helpline.tickets.models import (
    RATING_COMMENT_MAX_LENGTH,
    Event,
    EventKind,
    Rating,
    Score,
    Ticket,
)
from helpline.tickets.reasons import english

ALREADY_RATED = gettext_lazy("You already rated this answer; thank you.")
# How much of the comment the RATED event's reason repeats (the rating has it all).
REASON_LENGTH = 200


def _clean_comment(comment: str) -> str:
    """Plain text: line endings unified, control characters (but newlines and tabs)
    dropped, surrounding blank space trimmed."""
    text = comment.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return text.strip()


def _shorten(text: str, length: int = REASON_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def rate(
    ticket: Ticket,
    *,
    customer: Customer,
    resolution_event_id: int,
    score: str,
    comment: str = "",
) -> Rating:
    """Record `customer`'s rating of one resolution of `ticket`, once.

    `customer` must be the ticket's customer or a collaborator; the event must be a
    RESOLVED event of this ticket (a later reopening does not matter: the rating is
    about that answer). A second rating of the same resolution is refused.
    """
    if score not in Score.values:
        raise Refused(_("Choose Good, Okay or Bad."))
    comment = _clean_comment(comment)
    if len(comment) > RATING_COMMENT_MAX_LENGTH:
        raise Refused(
            _("The comment is too long: at most %(count)s characters, please.")
            % {"count": number_format(RATING_COMMENT_MAX_LENGTH, force_grouping=True)}
        )
    with transaction.atomic():
        ticket = lock_ticket(ticket, None)
        if not isinstance(customer, Customer) or not is_party(customer, ticket):
            raise NotAllowed(_("Only the customer of this ticket can rate its answer."))
        refuse_archived(ticket)
        resolution = Event.objects.filter(
            pk=resolution_event_id, ticket=ticket, kind=EventKind.RESOLVED
        ).first()
        if resolution is None:
            raise Refused(_("There is no such answer on this ticket to rate."))
        if Rating.objects.filter(resolution=resolution).exists():
            raise Refused(str(ALREADY_RATED))
        now = timezone.now()
        try:
            with transaction.atomic():  # a savepoint: the unique index is the last word
                rating = Rating.objects.create(
                    ticket=ticket,
                    resolution=resolution,
                    customer=customer,
                    agent_id=resolution.agent_id,
                    score=score,
                    comment=comment,
                    created_at=now,
                )
        except IntegrityError:
            raise Refused(str(ALREADY_RATED)) from None
        write_events(
            [
                Event(
                    ticket=ticket,
                    kind=EventKind.RATED,
                    customer=customer,
                    actor_name=actor_name(customer)[:200],
                    field="rating",
                    new_value=english(Score(score).label),  # shown translated: desk score_label
                    reason=_shorten(comment),
                    data={"rating": rating.pk, "resolution": resolution.pk, "score": score},
                    created_at=now,
                )
            ]
        )
        return rating
