"""Customer satisfaction: one rating per resolution.

When a ticket is resolved, its customer may rate that answer good, okay or bad,
with an optional comment, once. Reopening and resolving again makes a new
resolution, which may be rated on its own. Ratings are written by
`helpline.tickets.lifecycle.rate` only, which also leaves a RATED event.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Agent, Customer
from helpline.tickets.models import Event, Ticket

COMMENT_MAX_LENGTH = 2000


class Score(models.TextChoices):
    GOOD = "good", _("Good")
    OKAY = "okay", _("Okay")
    BAD = "bad", _("Bad")


class Rating(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    # The RESOLVED event this rating answers: unique, so each resolution is rated once.
    resolution = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="rating")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    # The agent who resolved, copied from the RESOLVED event so the reports and an
    # agent's own stats group by a column instead of reading events.
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    score = models.CharField(max_length=4, choices=Score.choices)
    comment = models.TextField(max_length=COMMENT_MAX_LENGTH, blank=True)  # plain text
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Reports: the ratings given over a period (stats.summary of a date range).
            models.Index(fields=["created_at"], name="rating_created"),
            # An agent's own stats and the per-agent report rows (stats.for_agent).
            models.Index(fields=["agent", "created_at"], name="rating_agent_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_score_display()} on #{self.ticket_id}"
