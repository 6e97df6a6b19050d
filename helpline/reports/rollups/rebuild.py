"""The rollups recomputed from the events (`rebuild`), and replayed while
`helpline demo generate` writes its history (`GeneratedFeed`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import transaction

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
from helpline.tickets.models import Event, Status

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


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebuild(
    start: date | None = None,
    end: date | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    chunk: int = 2000,
) -> int:
    """Recompute the rollups of the local days `start`..`end` (both included;
    None: from the first, up to the last) from the events, and every ticket's
    replay state. Returns how many tickets were replayed.

    Each ticket with an event in those days is replayed from its first event (its
    groups at any moment depend on what came before), and only the events of the
    days asked for are counted. Run it on a quiet desk: a change made to a ticket
    while its chunk is being replayed is counted by the receiver and may be
    counted again here. `progress` is called with the tickets done so far."""
    from helpline.tickets.models import Ticket

    zone = ZoneInfo(zone_name())
    first, after = _bounds(start, end, zone)
    statuses = dict(Status.objects.values_list("pk", "state"))
    done = 0
    with transaction.atomic():
        stale = DailyRollup.objects.all()
        if start:
            stale = stale.filter(day__gte=start)
        if end:
            stale = stale.filter(day__lte=end)
        stale.delete()
        if first is None and after is None:
            ids: Iterable[int] = (
                Ticket.objects.order_by("pk")
                .values_list("pk", flat=True)
                .iterator(chunk_size=10_000)
            )
        else:
            touched = Event.objects.all()
            if first is not None:
                touched = touched.filter(created_at__gte=first)
            if after is not None:
                touched = touched.filter(created_at__lt=after)
            ids = sorted(set(touched.values_list("ticket_id", flat=True).distinct()))
        for part in _chunks(ids, chunk):
            replay = Replay(zone, statuses.get)
            states: dict[int, TicketState] = {}
            for pk, events in _ticket_events(part):
                state: TicketState | None = None
                for event in events:
                    inside = (first is None or event.created_at >= first) and (
                        after is None or event.created_at < after
                    )
                    state = replay.apply(state, event, count=inside)
                if state is not None:
                    states[pk] = state
            write(replay.rows, replay.buckets)
            save_states(states)
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
