"""The rollups recomputed from the events (`rebuild`), and replayed while
`helpline demo generate` writes its history (`GeneratedFeed`).

A rebuild commits per chunk of tickets, so the desk keeps working. It was one
transaction: at a million tickets that held SQLite's write lock (every change of
the site waiting behind it, then failing at the busy timeout) or PostgreSQL's locks
on every rollup row it had upserted, for the minutes the whole replay takes. Now:

1. One short transaction deletes the rows of the days asked for and takes the
   mark: the last event id written so far. On PostgreSQL it first takes a SHARE
   lock on the events table, so every change that has written events commits
   before the mark is read and none writes events until the deletion commits
   (SQLite's write transactions are serialized anyway): the events up to the mark
   are exactly those committed before the rows were deleted, every later one is
   written after, and `record` adds it to the new rows.
2. Each chunk of tickets (`chunk`, 500): their events read and replayed from the
   first, outside any transaction, counting the events up to the mark of the days
   asked for; later ones are replayed for the state only (`record` counted them).
3. Then, in a transaction of the chunk's own: its tickets locked (FOR UPDATE on
   PostgreSQL, as lock_ticket takes them; SQLite's write lock), their events
   counted again (events are only ever added; if a ticket has more than were
   replayed, it changed meanwhile, and the chunk is replayed again under the
   lock), the figures added and the replay states saved. Then `progress`.

SQLite's write lock is held for step 3 only. Measured at 20,000 generated tickets
(330,656 rollup rows, the same as before), with a writer committing every 50 ms
beside it: the writer waited at most 0.4-0.7 s, against 19.4 s (the whole
rebuild) in one transaction; the rebuild took 19.5 s against 18.1 s alone. With
steps 2 and 3 in one transaction per chunk the writer still waited up to 3.4 s:
its busy handler polls, and often missed the instant between one chunk's COMMIT
and the next one's BEGIN IMMEDIATE.

What is guaranteed:
- On a quiet desk the result is what one transaction gave: every row and every
  replay state (the tests compare them).
- A change made during a rebuild is counted once: by `record`, whether its ticket's
  chunk is done (then on the rebuilt state), not done yet (the chunk does not count
  events after the mark), or being replayed (step 3 sees it and replays again;
  the change waits for the chunk's lock, or the chunk for the change). `record`
  counts it from the ticket's replay state as it was then: for a ticket not
  rebuilt yet, the state of before the rebuild (if that was wrong, which can be
  why one rebuilds, its changes during the rebuild are counted from the wrong
  state; rebuild again on a quiet desk to be sure).
- Until the rebuild ends, the reports of the days asked for read partial figures
  (the rows were deleted and are being added back, chunk by chunk); other days
  are untouched. Stopped half way (a crash, ^C), those days stay partial until a
  rebuild of them runs again to its end.
- Tickets opened after the mark are not replayed (`record` keeps them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Max

from helpline.reports.models import (
    DailyRollup,
)
from helpline.reports.rollups.replay import (
    EVENT_FIELDS,
    Buckets,
    Fact,
    Replay,
    Rows,
    TicketState,
    zone_name,
)
from helpline.reports.rollups.store import (
    save_state_rows,
    save_states,
    write,
)
from helpline.tickets.models import Event, Status, Ticket

# --- rebuilt from the events -----------------------------------------------------------


def _bounds(
    start: date | None, end: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC) if start else None
    after = (
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        if end
        else None
    )
    return first, after


def _ticket_events(ids: Sequence[int]) -> Iterator[tuple[int, list[Fact]]]:
    """Each ticket's events, in time order, for the tickets `ids` (as named tuples:
    a model instance per event was a sixth of a rebuild's time)."""
    current: list[Fact] = []
    last: int | None = None
    rows = (
        Event.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list(*EVENT_FIELDS, named=True)
    )
    for event in rows.iterator(chunk_size=5000):
        if event.ticket_id != last and current:
            yield last, current  # type: ignore[misc]
            current = []
        last = event.ticket_id
        current.append(event)
    if current and last is not None:
        yield last, current


def _start(start: date | None, end: date | None) -> tuple[int, int]:
    """Step 1 of the module doc: delete the rows of the days, in one transaction
    that sees every change committed and none in flight. Returns the mark (the
    last event id) and the last ticket id."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Waits for the transactions that wrote events to end, and holds the
            # next ones at their INSERT until this one commits (readers are not held).
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Event._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        mark = Event.objects.aggregate(last=Max("pk"))["last"] or 0
        top = Ticket.objects.aggregate(last=Max("pk"))["last"] or 0
        stale = DailyRollup.objects.all()
        if start:
            stale = stale.filter(day__gte=start)
        if end:
            stale = stale.filter(day__lte=end)
        stale.delete()
    return mark, top


def _parts(
    first: datetime | None, after: datetime | None, mark: int, top: int, size: int
) -> Iterator[list[int]]:
    """The tickets to replay, in id order, `size` at a time: all of them up to
    `top`, or those with an event up to the mark in the days asked for."""
    if first is None and after is None:
        last = 0
        while part := list(
            Ticket.objects.filter(pk__gt=last, pk__lte=top)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        ):
            yield part
            last = part[-1]
        return
    touched = Event.objects.filter(pk__lte=mark)
    if first is not None:
        touched = touched.filter(created_at__gte=first)
    if after is not None:
        touched = touched.filter(created_at__lt=after)
    ids = sorted(set(touched.values_list("ticket_id", flat=True).distinct()))
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass
class _Replayed:
    """A chunk's tickets replayed: what they count, their states, and how many
    events each had (to see, under the lock, whether one changed since)."""

    replay: Replay
    states: dict[int, TicketState]
    seen: dict[int, int]


def _replay(
    zone: ZoneInfo, part: Sequence[int], first: datetime | None, after: datetime | None, mark: int
) -> _Replayed:
    statuses = dict(Status.objects.values_list("pk", "state"))
    replayed = _Replayed(Replay(zone, statuses.get), {}, {})
    for pk, events in _ticket_events(part):
        state: TicketState | None = None
        for event in events:
            inside = (
                event.id <= mark
                and (first is None or event.created_at >= first)
                and (after is None or event.created_at < after)
            )
            state = replayed.replay.apply(state, event, count=inside)
        replayed.seen[pk] = len(events)
        if state is not None:
            replayed.states[pk] = state
    return replayed


def _event_counts(part: Sequence[int]) -> dict[int, int]:
    counts = (
        Event.objects.filter(ticket_id__in=part)
        .order_by()
        .values_list("ticket_id")
        .annotate(n=Count("pk"))
    )
    return dict(counts.values_list("ticket_id", "n"))


def rebuild(
    start: date | None = None,
    end: date | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    chunk: int = 500,
) -> int:
    """Recompute the rollups of the local days `start`..`end` (both included;
    None: from the first, up to the last) from the events, and every ticket's
    replay state. Returns how many tickets were replayed.

    Each ticket with an event in those days is replayed from its first event (its
    groups at any moment depend on what came before), and only the events of the
    days asked for are counted. A transaction per `chunk` tickets; what that
    guarantees beside concurrent changes: the module doc. `progress` is called
    with the tickets done so far, after each chunk has committed."""
    zone = ZoneInfo(zone_name())
    first, after = _bounds(start, end, zone)
    mark, top = _start(start, end)
    done = 0
    for part in _parts(first, after, mark, top, chunk):
        # Read and replayed outside the transaction: SQLite's writers go on
        # meanwhile (see the module doc).
        replayed = _replay(zone, part, first, after, mark)
        with transaction.atomic():
            # In id order, as lock_ticket and the SLA sweep take them.
            list(
                Ticket.objects.select_for_update()
                .filter(pk__in=part)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Events are only ever added: a ticket changed since it was read has
            # more of them. Then the chunk is replayed again, under the lock.
            if _event_counts(part) != replayed.seen:
                replayed = _replay(zone, part, first, after, mark)
            write(replayed.replay.rows, replayed.replay.buckets)
            save_states(replayed.states)
        done += len(part)
        if progress is not None:
            progress(done)
    return done


# --- kept by `helpline demo generate` ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Told:
    """An event as the generator's stories built it (see GeneratedFeed)."""

    id: int
    kind: str
    field: str
    new_value: str
    data: Any
    agent_id: int | None
    created_at: datetime


class GeneratedFeed:
    """The rollups of generated history (tickets.generate's `Feed`): each batch's
    events replayed where the stories are told, with the same `Replay` as `record`
    and `rebuild`, and written in the batch's transaction. Instead of a `rebuild`
    at the end, which read every event back: at a million tickets that took longer
    than writing them."""

    def __init__(self) -> None:
        self.zone = ZoneInfo(zone_name())
        self.statuses: dict[int, str] = dict(Status.objects.values_list("pk", "state"))

    def replay(self, events: list[dict[str, Any]]) -> object:
        by_ticket: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            by_ticket[event["ticket_id"]].append(event)
        replay = Replay(self.zone, self.statuses.get)
        states = []
        for pk in sorted(by_ticket):
            state: TicketState | None = None
            for event in sorted(by_ticket[pk], key=lambda e: (e["created_at"], e["id"])):
                told = _Told(
                    event["id"],
                    event["kind"],
                    event["field"],
                    event["new_value"],
                    event["data"],
                    event["agent_id"],
                    event["created_at"],
                )
                state = replay.apply(state, told)
            if state is not None:
                states.append((pk, state.as_json()))
        # The rows are prepared by `write`, in the writing process: on two cores
        # the stories and the replay are the larger half of the work.
        return replay.rows, replay.buckets, states

    def write(self, payload: object) -> None:
        rows, buckets, states = cast(
            tuple[Rows, Buckets, list[tuple[int, dict[str, Any]]]], payload
        )
        write(rows, buckets)
        save_state_rows(states)
