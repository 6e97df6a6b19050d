"""The satisfaction figures the reports and "my stats" use."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.conftest import World
from helpline.reports.metrics import ratings as stats
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, Rating, Ticket


def resolved(world: World, subject: str = "Printer on fire") -> tuple[Ticket, Event]:
    """A ticket of Ken's, resolved by Alice: the ticket and its RESOLVED event."""
    ticket = world.open(subject)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done.</p>")
    return ticket, Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")


def rate(world: World, score: str, *, agent=None, subject: str = "Ticket") -> None:
    ticket = world.open(subject)
    ticket = lifecycle.resolve(
        ticket, actor=agent or world.agent, explanation_html="<p>Answer.</p>"
    )
    resolution = ticket.events.filter(kind="resolved").latest("id")
    lifecycle.rate(ticket, customer=world.customer, resolution_event_id=resolution.pk, score=score)


def test_no_ratings_give_zeros_and_no_score(db: None) -> None:
    assert stats.summary(Rating.objects.all()) == {
        "good": 0,
        "okay": 0,
        "bad": 0,
        "total": 0,
        "score": None,
    }


def test_the_summary_counts_each_score_in_one_query(world: World) -> None:
    for score in ("good", "good", "okay", "bad"):
        rate(world, score)

    with CaptureQueriesContext(connection) as queries:
        summary = stats.summary(Rating.objects.all())

    assert summary == {"good": 2, "okay": 1, "bad": 1, "total": 4, "score": 0.5}
    assert len(queries) == 1


def test_an_agents_stats_count_the_answers_they_gave_in_the_period(world: World) -> None:
    rate(world, "good")
    rate(world, "bad")
    rate(world, "good", agent=world.supervisor)
    now = timezone.now()

    mine = stats.for_agent(world.agent, now - timedelta(days=1), now + timedelta(seconds=1))
    theirs = stats.for_agent(world.supervisor, now - timedelta(days=1), now + timedelta(days=1))
    before = stats.for_agent(world.agent, now - timedelta(days=9), now - timedelta(days=1))

    assert mine == {"good": 1, "okay": 0, "bad": 1, "total": 2, "score": 0.5}
    assert theirs["good"] == 1 and theirs["score"] == 1.0
    assert before["total"] == 0


def test_ratings_between_is_half_open(world: World) -> None:
    _, resolution = resolved(world)
    lifecycle.rate(
        resolution.ticket, customer=world.customer, resolution_event_id=resolution.pk, score="okay"
    )
    at = Rating.objects.get().created_at

    assert stats.between(at, at + timedelta(seconds=1)).count() == 1
    assert stats.between(at - timedelta(seconds=1), at).count() == 0
