"""Writing the rollups (one UPSERT per 500 or 5,000 rows, the histograms merged in
SQL) and the tickets' replay states (`save_states`), and keeping them in step with
the lifecycle (`record`)."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from helpline.reports.models import (
    COUNTS,
    HISTOGRAMS,
    KEY_FIELDS,
    SERIES,
    DailyRollup,
    RollupTicket,
)
from helpline.reports.rollups.replay import (
    EVENT_FIELDS,
    Buckets,
    Replay,
    RowKey,
    Rows,
    TicketState,
    zone_name,
)
from helpline.tickets.models import Event, EventKind, Status

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
            # WITH ORDINALITY ... ORDER BY: the rows are locked in the order given
            # (the key order, see `prepare`), not in whatever order a plan yields.
            fields = {f.column: f for f in DailyRollup._meta.concrete_fields}
            arrays = ", ".join(f"%s::{fields[c].db_type(connection)}[]" for c in columns)
            sql = (
                f"INSERT INTO {quote(table)} ({names}) SELECT {names} "  # noqa: S608
                f"FROM unnest({arrays}) WITH ORDINALITY AS given ({names}, row_order) "
                f"ORDER BY row_order {conflict}"
            )
            for i in range(0, len(rows), _ARRAY_BATCH):
                chunk = rows[i : i + _ARRAY_BATCH]
                arrays_of = zip(columns, zip(*chunk, strict=True), strict=True)
                # One type per array (psycopg refuses ints and floats mixed): the
                # counts as floats, cast back to integers by the statement.
                cursor.execute(
                    sql, [list(map(float, a)) if c in add else list(a) for c, a in arrays_of]
                )
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for i in range(0, len(rows), _BATCH):
            chunk = rows[i : i + _BATCH]
            # Only our own column names are put into the text; values are parameters.
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES {values} {conflict}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def write(rows: Rows, buckets: Buckets) -> None:
    """Add the replayed figures to the table: one statement per 500 rows (SQLite)
    or 5,000 (PostgreSQL)."""
    _upsert(
        DailyRollup._meta.db_table,
        [*KEY_FIELDS, *ROW_VALUES, *HISTOGRAMS],
        ROW_VALUES,
        _prepare(rows, buckets),
    )


def _prepare(rows: Rows, buckets: Buckets) -> list[list[Any]]:
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
        if not isinstance(amounts, defaultdict):  # the replay's are; a caller's may not be
            amounts = defaultdict(float, amounts)
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


def save_states(states: dict[int, TicketState]) -> None:
    """Keep the tickets' replay states (`RollupTicket`), for `record` to go on from."""
    save_state_rows([(pk, states[pk].as_json()) for pk in sorted(states)])


def save_state_rows(states: list[tuple[int, dict[str, Any]]]) -> None:
    """`save_states` for states already encoded (`TicketState.as_json`), given in
    ticket order: one UPSERT per 500 tickets."""
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
    opened = {pk for pk, evs in by_ticket.items() if evs[0].kind == EventKind.CREATED}
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
    save_states(states)


def _state_from_history(
    replay: Replay, ticket_id: int, *, before: int | None
) -> TicketState | None:
    state: TicketState | None = None
    earlier = Event.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")
    if before is not None:
        earlier = earlier.filter(pk__lt=before)
    for event in earlier.only(*EVENT_FIELDS):
        state = replay.apply(state, event, count=False)
    return state
