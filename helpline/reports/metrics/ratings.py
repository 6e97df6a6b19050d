"""Satisfaction figures for the reports and an agent's own stats.

Every figure is one grouped query over `Rating` (indexed by created_at, and by
agent + created_at; see the model).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import Count, QuerySet

from helpline.accounts.models import Agent
from helpline.tickets.models import Rating, Score


class Summary(TypedDict):
    good: int
    okay: int
    bad: int
    total: int
    score: float | None  # the share of good ratings, 0..1; None without ratings


def summary(ratings: QuerySet[Rating]) -> Summary:
    """How many good, okay and bad ratings `ratings` holds, and the share of good."""
    counts = dict.fromkeys(Score.values, 0)
    rows = ratings.order_by().values_list("score").annotate(n=Count("id"))
    for score, n in rows:
        if score in counts:
            counts[score] += n
    total = sum(counts.values())
    return Summary(
        good=counts[Score.GOOD],
        okay=counts[Score.OKAY],
        bad=counts[Score.BAD],
        total=total,
        score=counts[Score.GOOD] / total if total else None,
    )


def between(start: datetime, end: datetime) -> QuerySet[Rating]:
    """Ratings given in [start, end)."""
    return Rating.objects.filter(created_at__gte=start, created_at__lt=end)


def for_agent(agent: Agent, start: datetime, end: datetime) -> Summary:
    """The ratings of the answers `agent` gave (as resolver), given in [start, end)."""
    return summary(between(start, end).filter(agent=agent))
