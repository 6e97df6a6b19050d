"""`lifecycle.rate`: who may rate which answer, once, and what it leaves behind."""

from __future__ import annotations

import pytest

from helpline.conftest import World, make_customer
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import Event, EventKind, Rating, Score, State, Ticket

from .conftest import resolution_of, resolved


def test_the_customer_rates_the_answer_and_a_rated_event_is_written(world: World) -> None:
    ticket, resolution = resolved(world)

    rating = lifecycle.rate(
        ticket,
        customer=world.customer,
        resolution_event_id=resolution.pk,
        score=Score.GOOD,
        comment="  Quick and kind.\r\nThanks!  ",
    )

    rating.refresh_from_db()
    assert rating.ticket == ticket
    assert rating.resolution == resolution
    assert rating.customer == world.customer
    assert rating.agent == world.agent  # who resolved, copied from the event
    assert rating.score == "good"
    assert rating.comment == "Quick and kind.\nThanks!"
    event = Event.objects.get(ticket=ticket, kind=EventKind.RATED)
    assert event.customer == world.customer
    assert event.agent is None
    assert event.actor_name == "Ken Adams"
    assert event.field == "rating"
    assert event.old_value == ""
    assert event.new_value == "Good"
    assert event.reason == "Quick and kind. Thanks!"
    assert event.data == {"rating": rating.pk, "resolution": resolution.pk, "score": "good"}
    assert event.created_at == rating.created_at


def test_rating_leaves_the_ticket_version_and_update_time_alone(world: World) -> None:
    ticket, resolution = resolved(world)
    before = Ticket.objects.get(pk=ticket.pk)

    lifecycle.rate(
        ticket, customer=world.customer, resolution_event_id=resolution.pk, score=Score.BAD
    )

    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    # So an agent's change made against the version they saw still goes through.
    lifecycle.close(ticket, actor=world.agent, expected_version=before.version)


def test_it_refuses_a_second_rating_of_the_same_answer(world: World) -> None:
    ticket, resolution = resolved(world)
    lifecycle.rate(
        ticket, customer=world.customer, resolution_event_id=resolution.pk, score=Score.GOOD
    )

    with pytest.raises(Refused) as refused:
        lifecycle.rate(
            ticket, customer=world.customer, resolution_event_id=resolution.pk, score=Score.BAD
        )

    assert refused.value.message == "You already rated this answer; thank you."
    assert Rating.objects.get().score == "good"
    assert Event.objects.filter(kind=EventKind.RATED).count() == 1


def test_each_resolution_may_be_rated_once(world: World) -> None:
    ticket, first = resolved(world)
    lifecycle.rate(ticket, customer=world.customer, resolution_event_id=first.pk, score="bad")
    lifecycle.reopen(ticket, actor=world.agent, reason="Still burning")
    ticket = lifecycle.resolve(ticket, actor=world.supervisor, explanation_html="<p>Done.</p>")
    second = resolution_of(ticket)

    lifecycle.rate(ticket, customer=world.customer, resolution_event_id=second.pk, score="good")

    scores = list(Rating.objects.order_by("id").values_list("score", "agent"))
    assert scores == [("bad", world.agent.pk), ("good", world.supervisor.pk)]


def test_a_reopened_ticket_can_still_have_its_earlier_answer_rated(world: World) -> None:
    ticket, resolution = resolved(world)
    lifecycle.reopen(ticket, actor=world.agent)

    rating = lifecycle.rate(
        ticket, customer=world.customer, resolution_event_id=resolution.pk, score="okay"
    )

    assert rating.score == "okay"
    assert Ticket.objects.get(pk=ticket.pk).state == State.OPEN


def test_a_collaborator_may_rate(world: World) -> None:
    ticket, resolution = resolved(world)
    follower = make_customer("Fay Follower", "fay@example.com")
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=follower)

    rating = lifecycle.rate(
        ticket, customer=follower, resolution_event_id=resolution.pk, score="good"
    )

    assert rating.customer == follower
    assert Event.objects.get(kind=EventKind.RATED).actor_name == "Fay Follower"


def test_it_refuses_somebody_who_is_not_a_party_to_the_ticket(world: World) -> None:
    ticket, resolution = resolved(world)

    with pytest.raises(NotAllowed):
        lifecycle.rate(
            ticket, customer=world.outsider, resolution_event_id=resolution.pk, score="bad"
        )
    with pytest.raises(NotAllowed):
        lifecycle.rate(
            ticket,
            customer=world.agent,  # type: ignore[arg-type]
            resolution_event_id=resolution.pk,
            score="bad",
        )

    assert not Rating.objects.exists()


def test_it_refuses_an_event_that_is_not_a_resolution_of_this_ticket(world: World) -> None:
    ticket, _ = resolved(world)
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    _, other_resolution = resolved(world, "Another one")

    for event_id in (created.pk, other_resolution.pk, 999_999):
        with pytest.raises(Refused) as refused:
            lifecycle.rate(
                ticket, customer=world.customer, resolution_event_id=event_id, score="good"
            )
        assert refused.value.message == "There is no such answer on this ticket to rate."

    assert not Rating.objects.exists()
    assert not Event.objects.filter(kind=EventKind.RATED).exists()


def test_it_refuses_an_unknown_score_and_a_comment_that_is_too_long(world: World) -> None:
    ticket, resolution = resolved(world)

    with pytest.raises(Refused, match="Choose Good, Okay or Bad"):
        lifecycle.rate(
            ticket, customer=world.customer, resolution_event_id=resolution.pk, score="great"
        )
    with pytest.raises(Refused, match="too long"):
        lifecycle.rate(
            ticket,
            customer=world.customer,
            resolution_event_id=resolution.pk,
            score="good",
            comment="x" * 2001,
        )

    assert not Rating.objects.exists()


def test_the_event_repeats_a_long_comment_shortened(world: World) -> None:
    ticket, resolution = resolved(world)

    lifecycle.rate(
        ticket,
        customer=world.customer,
        resolution_event_id=resolution.pk,
        score="bad",
        comment="word " * 300,
    )

    reason = Event.objects.get(kind=EventKind.RATED).reason
    assert len(reason) == 200 and reason.endswith("…")
    assert Rating.objects.get().comment == ("word " * 300).strip()


def test_it_refuses_archived_tickets(world: World) -> None:
    ticket, resolution = resolved(world)
    Ticket.objects.filter(pk=ticket.pk).update(state=State.ARCHIVED)

    with pytest.raises(Refused, match="Archived"):
        lifecycle.rate(
            ticket, customer=world.customer, resolution_event_id=resolution.pk, score="good"
        )


def test_the_rated_event_reaches_the_signals_and_sends_no_mail(
    world: World, django_capture_on_commit_callbacks
) -> None:
    from helpline.notify.models import OutboundMessage

    ticket, resolution = resolved(world)
    mails = OutboundMessage.objects.count()
    recorded: list[str] = []

    def listen(sender: object, events: list[Event], **kwargs: object) -> None:
        recorded.extend(e.kind for e in events)

    lifecycle.events_recorded.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            lifecycle.rate(
                ticket, customer=world.customer, resolution_event_id=resolution.pk, score="good"
            )
    finally:
        lifecycle.events_recorded.disconnect(listen)

    assert recorded == ["rated"]
    assert callbacks  # events_committed, after the commit
    assert OutboundMessage.objects.count() == mails
