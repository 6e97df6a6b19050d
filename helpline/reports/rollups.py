"""Daily rollups: the report figures per local day and group, kept in step with
the lifecycle, so a report reads a few rows per day and group instead of every
event of its period (issue 11: 1.2-2.6 s per event query at a million tickets).

How they are kept. `record` receives the lifecycle's `events_recorded` signal
inside the transaction of every change (as notify's outbox does): a change that
rolls back takes its figures with it, one that commits has them. It replays the
events of the change on the ticket's last replay state (`RollupTicket`: its
groups, whether it was open, who handled it that day) and adds what they count
with one UPSERT per table (rows, histogram buckets, the state): no rendering, no
read beyond the ticket's state row. `rebuild` replays the events in bulk with the
same `Replay`, so the two cannot disagree on what an event counts.

What an event counts, and where:
- in the groups the ticket was in right after the event (the department, help
  topic, team, priority, source and assignee of that moment; a transfer does not
  move what happened before it), and by agent, to the agent it is about (the
  agent assigned for Assigned, the one who acted for Resolved, Closed, Reopened,
  first responses and Handled, the assignee of the moment for Opened and Overdue);
- the backlog as moves: +1 where an open ticket now is, -1 where it was, on the
  day it opened, moved (transfer, assignment, new priority or topic), left
  (resolved, closed) or came back (reopened);
- Handled once per ticket and day in each group (at its first answer that day),
  and once per ticket, day and agent for that agent;
- times as exact sums and counts (means) and as a histogram of log buckets
  (`bucket_of`): a percentile is the middle of the bucket holding the nearest
  rank, within 5 % of the exact value (and within 1 s below 1 s).

Days are local days in `settings.REPORTS_TIME_ZONE` (the site's TIME_ZONE unless
set). A report in another zone is computed from the events (metrics.sql).
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from helpline.reports.models import (
    COUNTS,
    HISTOGRAMS,
    KEY_FIELDS,
    SERIES,
    DailyRollup,
    RollupTicket,
    Scope,
)
from helpline.tickets.models import Event, EventKind, State, Status

K = EventKind
# The groupings a rollup row can be of; "none" is the whole desk.
DIMS = ("none", "department", "topic", "team", "priority", "source", "agent")
# The histogram: bucket b >= 1 holds [RATIO**(b-1), RATIO**b) seconds, bucket 0
# everything under a second. Its middle RATIO**(b-0.5) is within sqrt(1.1)-1 =
# 4.9 % of any value in it. Ten years are bucket 251: a SmallIntegerField.
RATIO = 1.1
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    if seconds < 1:
        return 0
    return 1 + math.floor(math.log(seconds) / _LOG_RATIO)


def bucket_value(bucket: int) -> float:
    """The value a percentile in `bucket` is reported as, in seconds."""
    return 0.0 if bucket <= 0 else RATIO ** (bucket - 0.5)


def zone_name() -> str:
    return str(getattr(settings, "REPORTS_TIME_ZONE", None) or settings.TIME_ZONE)


def keeps(tz: str) -> bool:
    """Are the rollups kept in days of time zone `tz`?"""
    try:
        return ZoneInfo(tz).key == ZoneInfo(zone_name()).key
    except (ValueError, KeyError):
        return False


# --- the replay ----------------------------------------------------------------------


class Fact(Protocol):
    """What the replay reads of an event: an Event, or a row of the rebuild's
    read (`_ticket_events`: a named tuple, without building a model per event)."""

    @property
    def kind(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def new_value(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def agent_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass
class TicketState:
    """Where a ticket was counted after its last event (see module docstring)."""

    open: bool = False
    department: int = 0
    topic: int = 0
    team: int = 0
    priority: int = 0
    source: str = ""
    assignee: int = 0
    handled_day: str = ""  # the local day of its last answer, ISO
    handled_by: list[int] = field(default_factory=list)  # agents who answered that day

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# Which ticket field an event's `field` changes, and so which grouping it moves.
_MOVES = {
    "department": "department",
    "topic": "topic",
    "team": "team",
    "priority": "priority",
    "agent": "assignee",
}


def _id(value: object) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


# (dim, scope, day, key, department, assignee, team, agent) -> {column: amount}
RowKey = tuple[str, int, date, str, int, int, int, int]
Rows = dict[RowKey, dict[str, float]]
# (row key, series, bucket) -> n
Buckets = dict[tuple[RowKey, str, int], int]


def _zeros() -> defaultdict[str, float]:
    return defaultdict(float)  # a module's function, so that the rows pickle


class Replay:
    """Adds up what events count, ticket by ticket, in time order."""

    def __init__(self, zone: ZoneInfo, state_of: Callable[[int], str | None]) -> None:
        self.zone = zone
        self.state_of = state_of  # a status id -> its State (open/closed/archived)
        self.rows: Rows = defaultdict(_zeros)
        self.buckets: Buckets = defaultdict(int)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def apply(self, before: TicketState | None, event: Fact, count: bool = True) -> TicketState:
        """The ticket's state after `event`; with `count`, add what it counts."""
        data = event.data if isinstance(event.data, dict) else {}
        after = replace(before, handled_by=list(before.handled_by)) if before else TicketState()
        kind = event.kind
        if kind == K.CREATED:
            after = TicketState(
                open=True,
                department=_id(data.get("department")),
                topic=_id(data.get("topic")),
                priority=_id(data.get("priority")),
                source=str(data.get("source") or "")[:40],
            )
        elif event.field in _MOVES and ("new" in data or "old" in data):
            setattr(after, _MOVES[event.field], _id(data.get("new")))
        elif event.field == "status" and "new" in data:
            state = self.state_of(_id(data.get("new")))
            if state is not None:
                after.open = state == State.OPEN
        if not count:
            self._handled(after, event, None)
            return after
        day = self.day(event.created_at)
        self._backlog(before, after, day)
        amounts, about = self._amounts(event, data, after)
        own = self._handled(after, event, day)
        if own is not None:
            first_today, first_for_agent = own
            if first_today:
                amounts["handled"] = 1
            if first_for_agent:
                amounts["handled_own"] = 1
        if not amounts:
            return after
        # Each time: its columns and its bucket, worked out once for all its rows.
        times = [
            (f"{k[2:]}_n", f"{k[2:]}_sum", k[2:], v, bucket_of(v))
            for k, v in amounts.items()
            if k.startswith("t_")
        ]
        counts = [(k, v) for k, v in amounts.items() if not k.startswith("t_")]
        # The agent grouping's Handled is the agent's own.
        for_agent = [(k, v) for k, v in counts if k != "handled"]
        if "handled_own" in amounts:
            for_agent.append(("handled", amounts["handled_own"]))
        for dim in DIMS:
            if dim == "agent":
                key, mine = str(about or ""), for_agent
            else:
                key, mine = _key(after, dim), counts
            for row in _row_keys(dim, key, day, after, about or 0):
                target = self.rows[row]
                for name, amount in mine:
                    target[name] += amount
                for n_column, sum_column, series, seconds, bucket in times:
                    target[n_column] += 1
                    target[sum_column] += seconds
                    self.buckets[(row, series, bucket)] += 1
        return after

    def _handled(
        self, after: TicketState, event: Fact, day: date | None
    ) -> tuple[bool, bool] | None:
        """Remember who answered the ticket today; (first answer today, first by
        this agent today) for an agent's answer, else None."""
        if event.kind not in (K.REPLIED, K.RESOLVED) or not event.agent_id:
            return None
        today = (day or self.day(event.created_at)).isoformat()
        if after.handled_day != today:
            after.handled_day, after.handled_by = today, []
        first_today = not after.handled_by
        first_for_agent = event.agent_id not in after.handled_by
        if first_for_agent:
            after.handled_by.append(event.agent_id)
        return first_today, first_for_agent

    def _amounts(
        self, event: Fact, data: dict[str, Any], after: TicketState
    ) -> tuple[dict[str, float], int | None]:
        """What one event counts (times as "t_<series>"), and the agent it is about."""
        kind = event.kind
        out: dict[str, float] = {}
        about: int | None = event.agent_id
        if kind == K.CREATED:
            out["opened"] = 1
            about = after.assignee or None
        elif kind == K.ASSIGNED and event.field == "agent":
            out["assigned"] = 1
            about = _id(data.get("new")) or None
        elif kind == K.OVERDUE and event.new_value == "True":
            out["overdue"] = 1
            target = data.get("target")
            if target == "first_response":
                out["fr_breaches"] = 1
            elif target == "resolution":
                out["res_breaches"] = 1
            about = after.assignee or None
        elif kind == K.CLOSED:
            out["closed"] = 1
        elif kind == K.REOPENED:
            out["reopened"] = 1
        if kind == K.RESOLVED:
            out["resolved"] = 1
            _time(out, "res", data.get("seconds"))
            _time(out, "resb", data.get("business_seconds"))
            if "resolution_met" in data:
                out["res_met_n"] = 1
                out["res_met"] = 1 if data["resolution_met"] is True else 0
        replied = kind == K.REPLIED and event.agent_id is not None
        if (kind == K.RESOLVED or replied) and data.get("first_response") is True:
            _time(out, "fr", data.get("first_response_seconds"))
            _time(out, "frb", data.get("first_response_business_seconds"))
            if "first_response_met" in data:
                out["fr_met_n"] = 1
                out["fr_met"] = 1 if data["first_response_met"] is True else 0
        return {k: v for k, v in out.items() if v or k.startswith("t_")}, about

    def _backlog(self, before: TicketState | None, after: TicketState, day: date) -> None:
        """+1 where the open ticket is now, -1 where it was, per grouping and scope."""
        was = before if before is not None and before.open else None
        now = after if after.open else None
        if was is None and now is None:
            return
        if was is not None and now is not None and _groups(was) == _groups(now):
            return  # most events: nothing moved
        for dim in DIMS:
            old = set(_row_keys(dim, _key(was, dim), day, was, was.assignee)) if was else set()
            new = set(_row_keys(dim, _key(now, dim), day, now, now.assignee)) if now else set()
            for row in old - new:
                self.rows[row]["backlog"] -= 1
            for row in new - old:
                self.rows[row]["backlog"] += 1


def _groups(state: TicketState) -> tuple[object, ...]:
    return (
        state.department,
        state.topic,
        state.team,
        state.priority,
        state.source,
        state.assignee,
    )


def _time(out: dict[str, float], series: str, value: object) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        out[f"t_{series}"] = max(float(value), 0.0)


def _key(state: TicketState | None, dim: str) -> str:
    if state is None or dim == "none":
        return ""
    value = state.assignee if dim == "agent" else getattr(state, dim)
    return str(value or "")


def _row_keys(dim: str, key: str, day: date, state: TicketState, agent: int) -> list[RowKey]:
    """The rows a figure goes to: by department, and by who when there is a who
    (a row by who with no assignee, team or agent would match no viewer: an
    agent's own figures need their id, a supervisor's tickets beyond their
    departments are assigned to them or to their teams)."""
    rows: list[RowKey] = [(dim, Scope.DEPARTMENT, day, key, state.department, 0, 0, 0)]
    if state.assignee or state.team or agent:
        rows.append((dim, Scope.WHO, day, key, state.department, state.assignee, state.team, agent))
    return rows


# --- writing -------------------------------------------------------------------------

ROW_VALUES = (*COUNTS, *(f"{s}_{p}" for s in SERIES for p in ("n", "sum")))
# Parameters per statement stay far below SQLite's limit (32,766).
_BATCH = 500
_ARRAY_BATCH = 5000  # PostgreSQL's arrays: one parameter per column


def _merge(table: str, column: str) -> str:
    """The UPSERT's expression for a histogram column: the buckets of the row and
    of the new values, added bucket by bucket (most changes bring no values: the
    row's histogram is kept as it is)."""
    q = connection.ops.quote_name
    old, new = f"{q(table)}.{q(column)}", f"excluded.{q(column)}"
    if connection.vendor == "postgresql":
        each, empty, total = "jsonb_each_text", "'{}'::jsonb", "jsonb_object_agg(b, s)"
        value = "value::bigint"
    else:
        each, empty, total = "json_each", "'{}'", "json_group_object(b, s)"
        value = "value"
    added = (
        f"(SELECT {total} FROM (SELECT key AS b, sum({value}) AS s FROM ("  # noqa: S608
        f"SELECT key, value FROM {each}({old}) UNION ALL "
        f"SELECT key, value FROM {each}({new})) AS x GROUP BY key) AS y)"
    )
    return f"CASE WHEN {new} = {empty} THEN {old} WHEN {old} = {empty} THEN {new} ELSE {added} END"


def _upsert(table: str, columns: Sequence[str], add: Sequence[str], rows: list[list[Any]]) -> None:
    """INSERT the rows, or add `add` columns (and merge the histograms) to the
    rows already there."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    target = ", ".join(quote(c) for c in KEY_FIELDS)
    updates = ", ".join(
        [f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in add]
        + [f"{quote(c)} = {_merge(table, c)}" for c in columns if c in HISTOGRAMS]
    )
    conflict = f"ON CONFLICT ({target}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column, unnested into rows: the statement's text stays
            # the same whatever the number of rows. With a VALUES list psycopg
            # parses every long text anew for its placeholders (it caches short
            # ones only): 500 rows of 31 values took it 80 ms, most of a batch.
            fields = {f.column: f for f in DailyRollup._meta.concrete_fields}
            arrays = ", ".join(f"%s::{fields[c].db_type(connection)}[]" for c in columns)
            sql = f"INSERT INTO {quote(table)} ({names}) SELECT * FROM unnest({arrays}) {conflict}"  # noqa: S608
            for i in range(0, len(rows), _ARRAY_BATCH):
                chunk = rows[i : i + _ARRAY_BATCH]
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for i in range(0, len(rows), _BATCH):
            chunk = rows[i : i + _BATCH]
            # Only our own column names are put into the text; values are parameters.
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES {values} {conflict}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def write(rows: Rows, buckets: Buckets) -> None:
    """Add the replayed figures to the table: one statement (per 500 rows)."""
    _upsert_rows(prepare(rows, buckets))


def _upsert_rows(table_rows: list[list[Any]]) -> None:
    _upsert(
        DailyRollup._meta.db_table, [*KEY_FIELDS, *ROW_VALUES, *HISTOGRAMS], ROW_VALUES, table_rows
    )


def prepare(rows: Rows, buckets: Buckets) -> list[list[Any]]:
    """The table's rows for the replayed figures, their values adapted, in key
    order. Reads nothing from the database."""
    histograms: dict[RowKey, dict[str, dict[str, int]]] = defaultdict(dict)
    for (row, series, bucket), n in buckets.items():
        if n:
            histogram = histograms[row].setdefault(series, {})
            histogram[str(bucket)] = n
    adapt_day = connection.ops.adapt_datefield_value
    adapt_json = connection.ops.adapt_json_value
    empty = adapt_json({}, None)  # most rows: encoded once
    amounts_of = operator.itemgetter(*ROW_VALUES)  # the rows default to 0
    table_rows = []
    # In key order, in every transaction: each row is locked as it is upserted, so
    # two changes that touch the same rows in opposite orders (a transfer from A to
    # B beside one from B to A, or a sweep batch beside a transfer) would deadlock
    # on PostgreSQL. Change.save takes the queue counters in order for the same reason.
    for row in sorted(rows):
        amounts = rows[row]
        if not any(amounts.values()):
            continue  # a move that came back the same day
        dim, scope, day, key, department, assignee, team, agent = row
        found = histograms.get(row)
        table_rows.append(
            [
                dim,
                int(scope),
                adapt_day(day),
                key,
                department,
                assignee,
                team,
                agent,
                *amounts_of(amounts),
                *(
                    (adapt_json(found[series], None) if found and series in found else empty)
                    for series in SERIES
                ),
            ]
        )
    return table_rows


def _save_states(states: dict[int, TicketState]) -> None:
    _save_state_rows([(pk, states[pk].as_json()) for pk in sorted(states)])


def _save_state_rows(states: list[tuple[int, dict[str, Any]]]) -> None:
    if states:
        RollupTicket.objects.bulk_create(
            # In ticket order, as the rows above.
            [RollupTicket(ticket_id=pk, state=state) for pk, state in states],
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=["state"],
            batch_size=_BATCH,
        )


# --- kept in step: the lifecycle's signal ----------------------------------------------


def record(sender: object, events: Sequence[Event], **kwargs: Any) -> None:
    """The `events_recorded` receiver: add what `events` count to the rollups, in
    the change's own transaction."""
    if not events:
        return
    by_ticket: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_ticket[event.ticket_id].append(event)
    # The tickets as the change left them, when the events carry them (the
    # lifecycle's do): their status's state spares a read of the status.
    tickets = {e.ticket_id: e.ticket for e in events if Event.ticket.is_cached(e)}

    def state_of(status_id: int) -> str | None:
        for ticket in tickets.values():
            if ticket.status_id == status_id:
                return str(ticket.state)
        return Status.objects.filter(pk=status_id).values_list("state", flat=True).first()

    replay = Replay(ZoneInfo(zone_name()), state_of)
    opened = {pk for pk, evs in by_ticket.items() if evs[0].kind == K.CREATED}
    known = (
        {
            row.ticket_id: TicketState.from_json(row.state)
            for row in RollupTicket.objects.filter(ticket_id__in=sorted(set(by_ticket) - opened))
        }
        if set(by_ticket) - opened
        else {}
    )
    states: dict[int, TicketState] = {}
    for pk, ticket_events in by_ticket.items():
        state = known.get(pk)
        if state is None and pk not in opened:
            # Not counted yet (opened before the rollups, or before a rebuild of
            # part of them): the ticket's earlier events say where it stands.
            state = _state_from_history(replay, pk, before=ticket_events[0].pk)
        for event in ticket_events:
            state = replay.apply(state, event)
        if state is not None:
            states[pk] = state
    write(replay.rows, replay.buckets)
    _save_states(states)


def _state_from_history(
    replay: Replay, ticket_id: int, *, before: int | None
) -> TicketState | None:
    state: TicketState | None = None
    earlier = Event.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")
    if before is not None:
        earlier = earlier.filter(pk__lt=before)
    for event in earlier.only(*_EVENT_FIELDS):
        state = replay.apply(state, event, count=False)
    return state


_EVENT_FIELDS = ("ticket_id", "kind", "field", "new_value", "data", "agent_id", "created_at")


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
        .values_list(*_EVENT_FIELDS, named=True)
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
            _save_states(states)
            done += len(part)
            if progress is not None:
                progress(done)
    return done


# --- kept by `helpline demo generate` ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Told:
    """An event as the generator's stories built it (see GeneratedFeed)."""

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
        _save_state_rows(states)
