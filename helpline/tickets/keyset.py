"""Keyset pages of a ticket queue: every page, the first or the thousandth, reads
a few index entries per *branch*, whatever the size of the queue.

OFFSET pages walked every row before the page (25,000 index entries at page
1000), and an ORDER BY that no index serves read, joined and sorted every open
ticket (priority and due sorts: 8-14x slower at a million tickets than at ten
thousand; issue 11). Here a page is:

1. One statement, a UNION ALL of *parts*. A part is one branch (an equality the
   visibility or the queue gives: one department, the agent themselves, one of
   their teams, or the whole state) times one *segment* of the sort (one priority
   of the priority sort; tickets with, then without, a due time), starting after
   the cursor, in the sort's order, LIMIT size + 1. Each part is an equality
   prefix of one index followed by the sort's columns, so the database reads it
   in order and stops after size + 1 entries: no sort step, no read of the queue.
2. The parts' (id, sort key) rows merged in Python: ordered by segment then key,
   duplicates dropped (a ticket of the agent's department may also be assigned to
   them), the first size + 1 kept. Each part gave its own first size + 1, so the
   merge is exact.
3. The page's tickets with their relations, by id (`pk IN (...)`, no ORDER BY).

The cursor in the query string names the segment and the key of the last (or
first, for a previous page) ticket shown; it is signed (a tampered cursor could
only move within what the agent sees, but a signature makes every cursor one we
made: anything else is a clear 400) and bounded in length before it is read.
A ticket that changes between pages moves in the order; the next page starts
after the cursor's key, not after the ticket, so nothing crashes and nothing is
shown twice within one walk that is not shown moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from helpline.tickets.models import Ticket

# SQLite accepts at most 500 SELECTs in one compound statement; larger unions
# (an administrator's priority sort over many departments) run in chunks.
PARTS_PER_STATEMENT = 200
# A cursor we make is about 100 characters; anything much longer is not ours.
MAX_CURSOR_LENGTH = 300
SALT = "helpline.tickets.keyset.cursor"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DATETIME_COLUMNS = frozenset({"updated_at", "created_at", "due_at"})


class BadCursor(ValueError):
    """A cursor we did not make, or made for another sort."""


@dataclass(frozen=True)
class Segment:
    """A stretch of a sort: the tickets matching `where`, read in `order` (every
    column the same direction) and positioned by `keys` (`order` without the
    columns that `where` makes constant). `mark` names it in a cursor."""

    mark: int
    where: Q
    order: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Cursor:
    sort: str
    forward: bool  # the page after (Next) or before (Previous) this position
    mark: int
    values: tuple[Any, ...]


def _encode(column: str, value: Any) -> int | str:
    if column in DATETIME_COLUMNS:
        return (value - EPOCH) // timedelta(microseconds=1)
    if column == "id":
        return int(value)
    return str(value)


def _decode(column: str, raw: object) -> Any:
    if column == "number":
        if not isinstance(raw, str) or not 1 <= len(raw) <= 20:
            raise BadCursor(column)
        return raw
    if type(raw) is not int or not 0 <= raw < 2**63:
        raise BadCursor(column)
    if column in DATETIME_COLUMNS:
        try:
            return EPOCH + timedelta(microseconds=raw)
        except OverflowError as error:
            raise BadCursor(column) from error
    return raw


def make_cursor(sort: str, forward: bool, mark: int, keys: Sequence[str], ticket: Ticket) -> str:
    """The cursor at `ticket`, in the segment `mark` of `sort`."""
    values = [_encode(c, getattr(ticket, _attname(c))) for c in keys]
    payload = {"s": sort, "f": int(forward), "m": mark, "v": values}
    return signing.dumps(payload, salt=SALT, compress=False)


def read_cursor(raw: str, sort: str, keys: Callable[[int], tuple[str, ...] | None]) -> Cursor:
    """The cursor `raw` for this sort, or BadCursor. `keys` gives the key columns
    of a mark, None for a mark the sort cannot have (a mark no longer present, such
    as a deleted priority's urgency, still positions by its value)."""
    if len(raw) > MAX_CURSOR_LENGTH or not raw.isascii():
        raise BadCursor("length")
    try:
        payload = signing.loads(raw, salt=SALT)
    except signing.BadSignature as error:
        raise BadCursor("signature") from error
    if not isinstance(payload, dict) or set(payload) != {"s", "f", "m", "v"}:
        raise BadCursor("shape")
    mark, values = payload["m"], payload["v"]
    if payload["s"] != sort or payload["f"] not in (0, 1) or type(mark) is not int:
        raise BadCursor("sort")
    columns = keys(mark)
    if columns is None or not isinstance(values, list) or len(values) != len(columns):
        raise BadCursor("values")
    decoded = tuple(_decode(c, v) for c, v in zip(columns, values, strict=True))
    return Cursor(sort, bool(payload["f"]), mark, decoded)


def _attname(column: str) -> str:
    return "pk" if column == "id" else column


def beyond(keys: Sequence[str], values: Sequence[Any], descending: bool) -> Q:
    """Rows strictly after `values` in the order of `keys`. The first column's
    non-strict bound is a range an index can seek to; the OR settles ties."""
    column, value = keys[0], values[0]
    strict = Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
    if len(keys) == 1:
        return strict
    loose = Q(**{f"{column}__{'lte' if descending else 'gte'}": value})
    return loose & (strict | beyond(keys[1:], values[1:], descending))


@dataclass(frozen=True)
class Part:
    """One index range of a page: a branch, a segment, the bound from the cursor."""

    rank: int  # the segment's place in the page's order
    query: QuerySet[Ticket]  # (key..., id) rows, in order, LIMIT
    tickets: QuerySet[Ticket]  # the same rows as tickets


def parts(
    base: QuerySet[Ticket],
    branches: Sequence[Q],
    segments: Sequence[Segment],
    descending: bool,
    cursor: Cursor | None,
    marks_descend: bool,
    limit: int,
    nulls: Sequence[str] = (),
) -> list[Part]:
    """The index ranges that hold the next `limit` tickets after the cursor (or
    before it, for a previous page), each in its read order; `nulls` are columns
    NULL throughout that lead the index (ordered by first, see queues._branches)."""
    forward = cursor is None or cursor.forward
    reading_descending = descending if forward else not descending

    def place(mark: int) -> int:
        return -mark if marks_descend else mark

    found: list[Part] = []
    ordered = list(enumerate(segments))
    if not forward:
        ordered.reverse()
    for rank, segment in ordered:
        where = segment.where
        if cursor is not None:
            here, there = place(segment.mark), place(cursor.mark)
            if (here < there) if forward else (here > there):
                continue  # wholly on the other side of the cursor
            if here == there:
                where &= beyond(segment.keys, cursor.values, reading_descending)
        order = [f"-{c}" if reading_descending else c for c in (*nulls, *segment.order)]
        for branch in branches:
            # The id last: every order ends on it (or on the unique number). The
            # order's columns, not the key's: every part of a sort has as many.
            columns = [c for c in segment.order if c != "id"]
            tickets = base.filter(branch & where).order_by(*order)
            found.append(Part(rank, tickets.values_list(*columns, "id")[:limit], tickets[:limit]))
    return found


def read(found: Sequence[Part], descending: bool, forward: bool, limit: int) -> list[int]:
    """The ids of the first `limit` tickets of the parts, in the order read."""
    rows: list[tuple[int, tuple[Any, ...]]] = []  # (rank, (key..., id))
    for start in range(0, len(found), PARTS_PER_STATEMENT):
        rows.extend(_union(found[start : start + PARTS_PER_STATEMENT]))
    reading_descending = descending if forward else not descending
    # By segment, then by key within it (the rows of one segment share their key
    # columns; two segments' keys may not even compare, e.g. due_at and id).
    segments: dict[int, list[tuple[Any, ...]]] = {}
    for rank, key in rows:
        segments.setdefault(rank, []).append(key)
    ids: list[int] = []
    seen: set[int] = set()
    for rank in sorted(segments, reverse=not forward):
        for *_key, pk in sorted(segments[rank], reverse=reading_descending):
            if pk in seen:
                continue
            seen.add(pk)
            ids.append(pk)
            if len(ids) == limit:
                return ids
    return ids


def union_sql(found: Sequence[Part]) -> tuple[str, list[Any], list[int]]:
    """One statement for these parts, its parameters, and the rank of each part
    (rows come as (part, key..., id)); "" when no part can hold a row."""
    sqls: list[str] = []
    params: list[Any] = []
    ranks: list[int] = []
    for index, part in enumerate(found):
        try:
            sql, part_params = part.query.query.sql_with_params()
        except EmptyResultSet:  # a branch that can hold nothing
            continue
        # Django's own SQL for the part, its values left as parameters; the part's
        # number says which segment each row came from.
        sqls.append(f"SELECT {len(ranks)} AS part, p{index}.* FROM ({sql}) AS p{index}")  # noqa: S608
        params.extend(part_params)
        ranks.append(part.rank)
    return " UNION ALL ".join(sqls), params, ranks


def _union(found: Sequence[Part]) -> list[tuple[int, tuple[Any, ...]]]:
    """(rank, (key..., id)) for each row of the parts. The key comes as the
    database stores it (on SQLite datetimes are text in one format, compared there
    as text), so Python orders rows exactly as the index does."""
    sql, params, ranks = union_sql(found)
    if not sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(ranks[row[0]], tuple(row[1:])) for row in cursor.fetchall()]


def error_message() -> str:
    return _(
        "This page link (its “cursor”) is not one the desk made, or it belongs to "
        "another sort order. Start again from the first page."
    )
