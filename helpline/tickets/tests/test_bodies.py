"""Message bodies on their way into the thread: sanitized before the write
transaction opens, bounded in size and shape, and never lost.

Issue 9: a 440 KB body of nested <div>s took minutes to sanitize inside
`transaction.atomic()`, holding SQLite's write lock while every other write of the
site failed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import nh3
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from helpline.automation.models import Action, CannedReply, Condition, Kind, Rule
from helpline.conftest import World
from helpline.lib.html import ALLOWED_TAGS, MAX_BODY_CHARS
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Refused, Upload
from helpline.tickets.lifecycle.core import ORIGINAL_FILENAME
from helpline.tickets.models import Attachment, Entry, HeldReply, Ticket

NESTED = "<div>" * 40_000 + "The printer is on fire." + "</div>" * 40_000  # 440 KB


@dataclass
class SanitizerSpy:
    """Watches the real sanitizer (nh3.clean with our allowed tags) run: whether a
    transaction was open on this thread's connection, and how much it read."""

    calls: list[tuple[bool, int]] = field(default_factory=list)

    @property
    def inside_transaction(self) -> list[int]:
        return [size for inside, size in self.calls if inside]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[SanitizerSpy]:
    watched = SanitizerSpy()
    real = nh3.clean

    def clean(html: str, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("tags") == ALLOWED_TAGS:
            watched.calls.append((connection.in_atomic_block, len(html)))
        return real(html, *args, **kwargs)

    monkeypatch.setattr(nh3, "clean", clean)
    yield watched


BODY = "<p>" + "Lots of detail. " * 2_000 + "</p>"


def _hold(w: World, t: Ticket) -> HeldReply:
    return lifecycle.hold_reply(
        t,
        sender_name="Mal",
        sender_email="mal@example.net",
        customer=None,
        body_html=BODY,
        reasons=[HeldReply.Reason.STRANGER],
    )


# Every lifecycle function that takes a body, as a step on Ken's open ticket.
STEPS: dict[str, Callable[[World, Ticket], object]] = {
    "open_ticket": lambda w, t: w.open(body_html=BODY),
    "reply": lambda w, t: lifecycle.reply(t, actor=w.agent, body_html=BODY),
    "add_note": lambda w, t: lifecycle.add_note(t, actor=w.agent, body_html=BODY),
    "customer_reply": lambda w, t: lifecycle.customer_reply(t, actor=w.customer, body_html=BODY),
    "resolve": lambda w, t: lifecycle.resolve(t, actor=w.agent, explanation_html=BODY),
    "hold_reply": _hold,
    "accept_held": lambda w, t: lifecycle.accept_held(_hold(w, t), actor=w.agent),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", STEPS)
def test_no_lifecycle_function_sanitizes_inside_its_transaction(
    world: World, spy: SanitizerSpy, step: str
) -> None:
    ticket = world.open()
    spy.calls.clear()

    STEPS[step](world, ticket)

    assert spy.calls, "the body was sanitized"
    assert spy.inside_transaction == []


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_ticket_is_sanitized_before_the_transaction_too(
    world: World, spy: SanitizerSpy
) -> None:
    world.support.reopen_window_days = 7
    world.support.save()
    ticket = world.open()
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")
    spy.calls.clear()

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        follow_up = lifecycle.customer_reply(ticket, actor=world.customer, body_html=BODY)

    assert follow_up.pk != ticket.pk
    assert spy.calls and spy.inside_transaction == []


@pytest.mark.django_db(transaction=True)
def test_a_rules_canned_reply_is_sanitized_before_the_transaction(
    world: World, spy: SanitizerSpy
) -> None:
    canned = CannedReply.objects.create(title="FAQ", body_html="<p>Turn it off.</p>")
    rule = Rule.objects.create(name="FAQ", order=1)
    Condition.objects.create(rule=rule, field="subject", operator="contains", value="fire")
    Action.objects.create(rule=rule, kind=Kind.CANNED_REPLY, canned_reply=canned)
    CannedReply.objects.filter(pk=canned.pk).update(body_html=BODY)  # unsanitized in the row
    spy.calls.clear()

    ticket = world.open("Printer on fire")

    assert Entry.objects.filter(ticket=ticket).count() == 2
    assert spy.calls and spy.inside_transaction == []


def test_html_beyond_the_bounds_is_kept_as_text_with_a_note_and_the_original(
    world: World,
) -> None:
    started = time.thread_time()  # CPU time: what other processes' load does not change
    ticket = world.open(body_html=NESTED)
    seconds = time.thread_time() - started

    entry = Entry.objects.get(ticket=ticket)
    assert "The printer is on fire." in entry.body
    assert "nests tags" in entry.body or "40,000 tags" in entry.body
    assert ORIGINAL_FILENAME in entry.body
    original = Attachment.objects.get(entry=entry)
    assert original.filename == ORIGINAL_FILENAME
    assert original.file.read().decode() == NESTED
    assert seconds < 1.0


def test_a_body_over_the_cap_is_shortened_with_a_note_and_the_original_attached(
    world: World, ticket: Ticket
) -> None:
    huge = "<p>" + "All work and no play. " * 30_000 + "The end.</p>"  # 660 KB

    lifecycle.reply(ticket, actor=world.agent, body_html=huge)

    entry = Entry.objects.filter(ticket=ticket).latest("pk")
    assert len(entry.body) <= MAX_BODY_CHARS
    assert entry.body.startswith("<p><em>The message was")
    assert "All work and no play." in entry.body
    assert "The end." not in entry.body
    original = Attachment.objects.get(entry=entry)
    assert original.file.read().decode() == huge


def test_a_body_within_the_cap_is_stored_as_sanitized_without_a_note(
    world: World, ticket: Ticket
) -> None:
    body = "<p onclick=x>" + "Fine. " * 40_000 + "</p>"  # 240 KB

    lifecycle.add_note(ticket, actor=world.agent, body_html=body)

    entry = Entry.objects.filter(ticket=ticket).latest("pk")
    assert entry.body == body.replace(" onclick=x", "")
    assert not Attachment.objects.filter(entry=entry).exists()


def test_blank_bodies_are_refused_before_anything_is_written(world: World, ticket: Ticket) -> None:
    files = [Upload("log.txt", "text/plain", b"x")]
    with pytest.raises(Refused, match="empty"):
        lifecycle.reply(ticket, actor=world.agent, body_html="<div>" * 40_000)
    with pytest.raises(Refused, match="Explain the resolution"):
        lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p> </p>", uploads=files)
    assert Entry.objects.filter(ticket=ticket).count() == 1
