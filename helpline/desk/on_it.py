"""“I'm on it”: an agent tells colleagues that they are working on a ticket now,
so that two do not pick the same ticket up at the same moment (issue 13).

A soft lock, not an assignment: the marker changes nothing on the ticket (no
event, no version: it would hold back colleagues' replies as a change they had
not seen, docs/decisions.md) and refuses nobody anything. It is one row per ticket
at most (desk_onit_one_per_ticket), kept beside the ticket as Presence is.

Who: an agent who may reply on the ticket (TicketAction.REPLY), while it is open.
On an unassigned ticket the agent may claim, saying “I'm on it” claims it too, in
the same transaction (`start(..., claim=True)`): the assignment goes through the
lifecycle, with its event and its conflict check.

One holder: a colleague who presses it sees who holds it, and takes it over only
when they confirm (`start(..., take_from=holder)`); the one taken from is told
on their page. Two agents pressing at once: the unique constraint lets one in,
the other is asked.

It ends:
- when its agent presses “I'm done” (`stop`), or a colleague takes it over;
- when its agent replies to the customer or releases the ticket, and when the
  ticket is resolved, closed or transferred, by anyone through any channel
  (`ended_by_events`, inside the change's transaction);
- by itself IDLE after its agent's last work on it (started it, opened or
  reloaded the page, typed in the reply or note box, changed the ticket), or AWAY
  after they last worked on it or had its page open (the presence poll, which a
  hidden tab does not send). Having the page open keeps it, but not for longer
  than IDLE.
An ended marker is read as none at once (`fresh`); the worker's `desk.tidy`
deletes the rows later.

Costs: the ticket page and its poll read the marker (one statement each) and
write only when its own agent's clocks are more than TOUCH_SECONDS old; a list of
tickets (the queues, the search results) reads the markers of its page in one
statement (`attach`), whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent
from helpline.desk.models import OnIt
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, State, Ticket
from helpline.tickets.permissions import TicketAction, can

AWAY = timedelta(minutes=30)
IDLE = timedelta(hours=2)
# A clock is moved forward only when it is older than this: a read is cheaper
# than SQLite's one writer (as together.SEEN_WRITE_SECONDS).
TOUCH_SECONDS = 60
# Who may say they are on a ticket.
MARK = TicketAction.REPLY
# The holder's own changes that end it; anybody's that end it.
ENDED_BY_HOLDER = frozenset({EventKind.REPLIED, EventKind.RELEASED})
ENDED_BY_ANYONE = frozenset(
    {EventKind.RESOLVED, EventKind.CLOSED, EventKind.TRANSFERRED, EventKind.MERGED}
)


def fresh(now: datetime | None = None) -> Q:
    """The markers that still hold: their agent active and neither clock run out."""
    now = now or timezone.now()
    return Q(active_at__gte=now - IDLE, seen_at__gte=now - AWAY, agent__user__is_active=True)


def current(ticket: Ticket) -> OnIt | None:
    """The ticket's marker, if it holds (with its agent's name)."""
    rows = OnIt.objects.filter(fresh(), ticket=ticket).select_related("agent__user")
    found = list(rows[:1])
    return found[0] if found else None


def may_mark(agent: Agent, ticket: Ticket) -> bool:
    return ticket.state == State.OPEN and can(agent, MARK, ticket)


def claims(agent: Agent, ticket: Ticket) -> bool:
    """Whether saying “I'm on it” here also claims the ticket."""
    return ticket.assignee_id is None and can(agent, TicketAction.CLAIM, ticket)


@dataclass(frozen=True)
class Started:
    """What `start` did: the marker is the agent's now (`asked` False), or a
    colleague holds it and the agent must confirm taking it over (`asked` True,
    `marker` theirs). `ticket` is the ticket as it is after a claim."""

    marker: OnIt
    asked: bool
    ticket: Ticket
    claimed: bool = False


def start(
    agent: Agent,
    ticket: Ticket,
    *,
    take_from: int | None = None,
    claim: bool = False,
    expected_version: int | None = None,
) -> Started:
    """The agent is on the ticket now. A colleague's marker is taken over only
    when `take_from` names that colleague (what the agent confirmed); otherwise
    the agent is asked. `claim`: also claim the ticket if it is unassigned (a
    lifecycle change, checked against `expected_version`). Raises the lifecycle's
    NotAllowed when the agent may not mark it, Refused when it is not open."""
    if not can(agent, MARK, ticket):
        raise lifecycle.NotAllowed(_("You are not allowed to do that on this ticket."))
    if ticket.state != State.OPEN:
        raise lifecycle.Refused(_("This ticket is closed; reopen it first."))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                held = current(ticket)
                if held is not None and held.agent_id not in (agent.pk, take_from):
                    return Started(held, asked=True, ticket=ticket)
                claimed = claim and claims(agent, ticket)
                if claimed:
                    ticket = lifecycle.claim(ticket, actor=agent, expected_version=expected_version)
                marker = _take(agent, ticket, held)
                if marker is None:
                    raise _Changed
                return Started(marker, asked=False, ticket=ticket, claimed=claimed)
        except _Changed:
            # A colleague's start, stop or takeover came between the read and the
            # write: all of it is rolled back (a claim too), and read again.
            continue
    raise lifecycle.Refused(_("Colleagues are changing this right now; try again."))


class _Changed(Exception):
    pass


def _take(agent: Agent, ticket: Ticket, held: OnIt | None) -> OnIt | None:
    """Write the agent's marker over `held` (theirs, a colleague's being taken
    over, or none that holds): a conditional UPDATE of the row read, or an INSERT
    when there is none; None when the row changed meanwhile."""
    now = timezone.now()
    if held is not None and held.agent_id == agent.pk:
        OnIt.objects.filter(pk=held.pk, agent=agent).update(active_at=now, seen_at=now)
        held.active_at = held.seen_at = now
        return held
    values: dict[str, Any] = {
        "agent": agent,
        "since": now,
        "active_at": now,
        "seen_at": now,
        "taken_from": held.agent if held is not None else None,
    }
    if held is not None:
        # Taken over from the holder the agent confirmed, if they still hold it.
        rows = OnIt.objects.filter(pk=held.pk, agent_id=held.agent_id, since=held.since)
        return OnIt(pk=held.pk, ticket=ticket, **values) if rows.update(**values) else None
    # None holds: an ended row (read as none) is replaced, not taken over.
    stale = OnIt.objects.filter(ticket=ticket).exclude(fresh(now))
    if stale.update(**values):
        return OnIt.objects.select_related("agent__user").get(ticket=ticket)
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the outer one usable
            return OnIt.objects.create(ticket=ticket, **values)
    except IntegrityError:
        return None  # a colleague's, written between the read and this insert


def stop(agent: Agent, ticket: Ticket) -> bool:
    """The agent is done: their marker ends (a colleague's is left alone)."""
    return OnIt.objects.filter(ticket=ticket, agent=agent).delete()[0] > 0


def touch(marker: OnIt | None, agent: Agent, *, active: bool) -> None:
    """The marker's own agent is on the ticket's page (`active`: opened it, not
    only still there): move its clocks, once a minute at most."""
    if marker is None or marker.agent_id != agent.pk:
        return
    now = timezone.now()
    due = now - timedelta(seconds=TOUCH_SECONDS)
    fields = {"seen_at": now} if marker.seen_at < due else {}
    if active and marker.active_at < due:
        fields.update(active_at=now, seen_at=now)
    if fields:
        OnIt.objects.filter(pk=marker.pk, agent=agent).update(**fields)
        for name, value in fields.items():
            setattr(marker, name, value)


def worked(agent: Agent, ticket: Ticket) -> None:
    """The agent typed on the ticket (a draft saved): their marker, if any, is
    active. One conditional UPDATE."""
    now = timezone.now()
    OnIt.objects.filter(
        ticket=ticket, agent=agent, active_at__lt=now - timedelta(seconds=TOUCH_SECONDS)
    ).update(active_at=now, seen_at=now)


def attach(tickets: Sequence[Ticket], agent: Agent) -> None:
    """Give each ticket of a list its marker (`ticket.on_it`, None if none holds)
    and `ticket.on_it_mine`: one statement for the whole list."""
    markers: dict[int, OnIt] = {}
    if tickets:
        rows = OnIt.objects.filter(fresh(), ticket_id__in=[t.pk for t in tickets])
        markers = {m.ticket_id: m for m in rows.select_related("agent__user")}
    for ticket in tickets:
        marker = markers.get(ticket.pk)
        ticket.on_it = marker  # type: ignore[attr-defined]
        ticket.on_it_mine = marker is not None and marker.agent_id == agent.pk  # type: ignore[attr-defined]


def key(marker: OnIt | None) -> str:
    """What a page shows of the marker, to tell when it changed (the poll)."""
    if marker is None:
        return ""
    return f"{marker.agent_id}:{marker.since.timestamp():.6f}"


def ended_by_events(sender: object, events: Iterable[Event], **kwargs: object) -> None:
    """`events_recorded`, inside the change's transaction: a reply or a release by
    the marker's agent ends it, and so does resolving, closing or transferring the
    ticket; any other change by its agent is work on it. At most one statement
    of each kind per change; none for the customer's and the clock's changes."""
    ended: set[int] = set()
    by_holder: set[tuple[int, int]] = set()
    active: set[tuple[int, int]] = set()
    for event in events:
        if event.kind in ENDED_BY_ANYONE:
            ended.add(event.ticket_id)
        elif event.agent_id is not None and event.kind in ENDED_BY_HOLDER:
            by_holder.add((event.ticket_id, event.agent_id))
        elif event.agent_id is not None and event.kind != EventKind.CREATED:
            active.add((event.ticket_id, event.agent_id))
    if ended:
        OnIt.objects.filter(ticket_id__in=sorted(ended)).delete()
    if by_holder := {pair for pair in by_holder if pair[0] not in ended}:
        OnIt.objects.filter(_pairs(by_holder)).delete()
    if active := {pair for pair in active if pair[0] not in ended and pair not in by_holder}:
        now = timezone.now()
        OnIt.objects.filter(_pairs(active)).update(active_at=now, seen_at=now)


def _pairs(pairs: set[tuple[int, int]]) -> Q:
    q = Q(pk__in=[])
    for ticket_id, agent_id in sorted(pairs):
        q |= Q(ticket_id=ticket_id, agent_id=agent_id)
    return q


def stale() -> QuerySet[OnIt]:
    """Markers that ended by themselves (for `desk.tidy`)."""
    return OnIt.objects.exclude(fresh())


def page_context(
    agent: Agent, ticket: Ticket, marker: OnIt | None, *, asked: bool = False
) -> dict[str, Any]:
    """What the ticket page's “I'm on it” box (desk/_on_it.html) shows `agent`:
    the marker, and what they may do about it. `asked`: they pressed it while a
    colleague holds it, and are asked to confirm taking it over."""
    may = may_mark(agent, ticket)
    return {
        "on_it": marker,
        "on_it_key": key(marker),
        "on_it_can": may,
        "on_it_claims": may and claims(agent, ticket),
        "on_it_mine": marker is not None and marker.agent_id == agent.pk,
        "on_it_taken_from_me": marker is not None and marker.taken_from_id == agent.pk,
        "on_it_ask": asked and may and marker is not None,
        "on_it_away_minutes": int(AWAY.total_seconds() // 60),
        "on_it_idle_hours": int(IDLE.total_seconds() // 3600),
    }
