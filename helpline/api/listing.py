"""One page of the API's ticket list: newest change first, keyset-paginated on
(updated_at, id), every query bounded by the page size whatever the filters.

The ticket indexes all lead with what the queues filter on and end in
(updated_at, id): (state, updated_at, id), (department, state, ...), (assignee,
state, ...), (team, state, ...). A page of one state reads one of them in order
and stops after `limit` rows: one query. No index orders *all* tickets by
updated_at, so a plain ORDER BY across states would sort the whole table (1.8 s
at a million tickets on PostgreSQL). A page across states therefore takes two
queries: the ids of the newest `limit` tickets of each state, each read in order
from its index (index-only, a few dozen rows):

    SELECT id FROM (SELECT * FROM (<open, newest first, LIMIT n>) UNION ALL
                    SELECT * FROM (<closed, ...>) UNION ALL ...)

and then those few rows with their relations, sorted. (One statement with the
ids as a subquery plans badly on PostgreSQL: the nine joined tables exceed
`join_collapse_limit`, so the ids are applied only after joining every ticket.)
`updated_since` and the cursor become ranges on the same indexes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from helpline.api.common import TICKET_RELATIONS
from helpline.tickets.models import State, Ticket

NEWEST_FIRST = ("-updated_at", "-id")


def after(when: datetime, pk: int) -> Q:
    """Tickets after the cursor in newest-first order. `updated_at <= when` alone
    is a range an index can seek to; the OR only settles ties on one instant."""
    return Q(updated_at__lte=when) & (Q(updated_at__lt=when) | Q(pk__lt=pk))


def page(qs: QuerySet[Ticket], states: list[str], limit: int) -> list[Ticket]:
    """Up to `limit` tickets of `qs` in these states, newest change first."""
    if not states:
        return []
    if len(states) == 1:
        rows = qs.filter(state=states[0]).select_related(*TICKET_RELATIONS)
        return list(rows.order_by(*NEWEST_FIRST)[:limit])
    parts: list[str] = []
    params: list[Any] = []
    for index, state in enumerate(states):
        ids = qs.filter(state=state).order_by(*NEWEST_FIRST).values("id")[:limit]
        try:
            sql, part_params = ids.query.sql_with_params()
        except EmptyResultSet:  # e.g. an agent who may see nothing
            continue
        # Django's own SQL for the part, its values left as parameters.
        parts.append(f"SELECT * FROM ({sql}) AS state_{index}")  # noqa: S608
        params.extend(part_params)
    if not parts:
        return []
    with connection.cursor() as cursor:
        union = " UNION ALL ".join(parts)
        cursor.execute(f"SELECT id FROM ({union}) AS newest", params)  # noqa: S608
        newest = [row[0] for row in cursor.fetchall()]
    rows = Ticket.objects.filter(pk__in=newest).select_related(*TICKET_RELATIONS)
    return list(rows.order_by(*NEWEST_FIRST)[:limit])


ALL_STATES = [str(s) for s in State]
