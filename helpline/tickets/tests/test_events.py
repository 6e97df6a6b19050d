"""Events are announced (for mail and webhooks) only once their change is committed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused, events_committed
from helpline.tickets.models import Event, EventKind, Ticket

from .helpers import last_event_id


@pytest.fixture
def announced() -> Iterator[list[list[int]]]:
    """The event ids of every `events_committed` signal, one list per signal."""
    received: list[list[int]] = []

    def receiver(sender: Any, event_ids: list[int], **kwargs: Any) -> None:
        received.append(list(event_ids))

    events_committed.connect(receiver, dispatch_uid="test-announced")
    yield received
    events_committed.disconnect(dispatch_uid="test-announced")


def test_the_events_of_a_change_are_announced_after_it_commits(
    world: World,
    ticket: Ticket,
    announced: list[list[int]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    mark = last_event_id()

    with django_capture_on_commit_callbacks() as callbacks:
        lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it</p>")
        assert announced == []

    for callback in callbacks:
        callback()
    written = list(Event.objects.filter(pk__gt=mark).order_by("pk"))
    assert [e.kind for e in written] == [EventKind.REPLIED, EventKind.ASSIGNED]
    assert announced == [[e.pk for e in written]]


def test_opening_a_ticket_announces_its_creation(
    world: World,
    announced: list[list[int]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = world.open()

    assert announced == [[Event.objects.get(ticket=ticket, kind=EventKind.CREATED).pk]]


def test_a_refused_change_announces_nothing(
    world: World,
    closed: Ticket,
    announced: list[list[int]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused):
            lifecycle.reply(closed, actor=world.agent, body_html="<p>Too late</p>")
        with pytest.raises(Refused):
            lifecycle.reply(
                closed, actor=world.agent, body_html="<p>x</p>", status=world.status("Closed")
            )

    assert callbacks == []
    assert announced == []


def test_an_opening_undone_by_a_refused_assignment_announces_nothing(
    world: World,
    announced: list[list[int]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # The "created" event is written before the assignment is refused; both go.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(NotAllowed),
    ):
        world.open(actor=world.agent, assignee=world.supervisor)

    assert callbacks == []
    assert announced == []
    assert not Event.objects.exists()
