"""The grouped queries behind the reports. Every figure is computed by the
database over the events of the period (read through the `event_kind_created`
index); nothing loads tickets or per-event values into Python.

Percentiles use the nearest-rank rule (the ⌈q·n⌉-th of the n sorted values), the
rule of PostgreSQL's `percentile_disc`. PostgreSQL computes them in the grouped
query itself; SQLite has no percentile function, so one window query ranks the
values per group and returns only the chosen rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    BigIntegerField,
    Case,
    Count,
    DateField,
    Expression,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent
from helpline.tickets.models import Event, EventKind, State, Status, Ticket
from helpline.tickets.permissions import visibility_filter

K = EventKind
# The events the period figures read (one index range per kind).
METRIC_KINDS = [K.CREATED, K.ASSIGNED, K.OVERDUE, K.RESOLVED, K.CLOSED, K.REOPENED, K.REPLIED]
# The events that move a ticket in or out of the backlog.
# A merge takes an open ticket out of the backlog as a closing does; its undo
# brings it back (lifecycle.merging: the merged ticket's events carry the status).
BACKLOG_KINDS = [K.CREATED, K.RESOLVED, K.CLOSED, K.REOPENED, K.MERGED, K.UNMERGED]
QUANTILES = {"p50": 0.5, "p90": 0.9}

# The ticket column each grouping reads (the ticket's current value).
TICKET_FIELD = {
    "department": "ticket__department_id",
    "topic": "ticket__topic_id",
    "team": "ticket__team_id",
    "priority": "ticket__priority_id",
    "source": "ticket__source",
    "agent": "ticket__assignee_id",
}


def number(key: str) -> Cast:
    """A number from the event's JSON data, as a float (NULL when absent)."""
    return Cast(KeyTextTransform(key, "data"), FloatField())


FIRST_RESPONSE = Q(kind__in=[K.REPLIED, K.RESOLVED], data__first_response=True)
RESOLUTION = Q(kind=K.RESOLVED)
# name -> (which events, which JSON number)
SERIES: dict[str, tuple[Q, str]] = {
    "fr": (FIRST_RESPONSE, "first_response_seconds"),
    "frb": (FIRST_RESPONSE, "first_response_business_seconds"),
    "res": (RESOLUTION, "seconds"),
    "resb": (RESOLUTION, "business_seconds"),
}


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: percentile_disc(q) WITHIN GROUP (ORDER BY x)."""

    function = "PERCENTILE_DISC"
    name = "PercentileDisc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()
    window_compatible = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be in (0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def event_key(group: str) -> Expression | F:
    """The grouping key of an event for the period figures."""
    if group == "agent":
        return Case(
            # The agent assigned, not the one assigning.
            When(kind=K.ASSIGNED, then=Cast(KeyTextTransform("new", "data"), BigIntegerField())),
            # Opened and overdue belong to the ticket's current assignee.
            When(kind__in=[K.CREATED, K.OVERDUE], then=F("ticket__assignee_id")),
            # Everything else to the agent who did it.
            default=F("agent_id"),
            output_field=BigIntegerField(),
        )
    return F(TICKET_FIELD[group])


def ticket_key(group: str) -> F:
    """The grouping key by the ticket's current values (backlog)."""
    return F(TICKET_FIELD[group])


def visible(qs: QuerySet[Any], visible_to: Agent | None) -> QuerySet[Any]:
    """Only rows of tickets `visible_to` may see (Ticket.objects.visible_to)."""
    if visible_to is None:
        return qs
    return qs.filter(visibility_filter(visible_to, prefix="ticket__"))


def period_events(
    start: datetime, end: datetime, *, agent: Agent | None, visible_to: Agent | None
) -> QuerySet[Event]:
    """The events the period figures count: one indexed range of (kind, created_at)."""
    qs = Event.objects.filter(kind__in=METRIC_KINDS, created_at__gte=start, created_at__lt=end)
    # Only assignments to an agent, only targets being missed (not cleared), only
    # replies by a person (a routing rule's canned reply is Helpline's).
    qs = qs.filter(
        (~Q(kind=K.ASSIGNED) | Q(field="agent"))
        & (~Q(kind=K.OVERDUE) | Q(new_value="True"))
        & (~Q(kind=K.REPLIED) | Q(agent__isnull=False))
    )
    qs = visible(qs, visible_to)
    if agent is not None:
        qs = qs.alias(who=event_key("agent")).filter(who=agent.pk)
    return qs.order_by()


def aggregates(postgres: bool) -> dict[str, Aggregate]:
    """Every period figure of one group, as aggregates over `period_events`."""
    overdue = Q(kind=K.OVERDUE)
    out: dict[str, Aggregate] = {
        "opened": Count("pk", filter=Q(kind=K.CREATED)),
        "assigned": Count("pk", filter=Q(kind=K.ASSIGNED)),
        "overdue": Count("pk", filter=overdue),
        "fr_breaches": Count("pk", filter=overdue & Q(data__target="first_response")),
        "res_breaches": Count("pk", filter=overdue & Q(data__target="resolution")),
        "resolved": Count("pk", filter=Q(kind=K.RESOLVED)),
        "closed": Count("pk", filter=Q(kind=K.CLOSED)),
        "reopened": Count("pk", filter=Q(kind=K.REOPENED)),
        "fr_met_n": Count("pk", filter=FIRST_RESPONSE & Q(data__has_key="first_response_met")),
        "fr_met": Count("pk", filter=FIRST_RESPONSE & Q(data__first_response_met=True)),
        "res_met_n": Count("pk", filter=RESOLUTION & Q(data__has_key="resolution_met")),
        "res_met": Count("pk", filter=RESOLUTION & Q(data__resolution_met=True)),
        "handled": Count(
            "ticket_id",
            distinct=True,
            filter=Q(kind__in=[K.REPLIED, K.RESOLVED], agent__isnull=False),
        ),
    }
    for name, (events, key) in SERIES.items():
        out[f"{name}_n"] = Count(number(key), filter=events)
        out[f"{name}_mean"] = Avg(number(key), filter=events)
        if postgres:
            for q_name, q in QUANTILES.items():
                out[f"{name}_{q_name}"] = PercentileDisc(number(key), q, filter=events)
    return out


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def grouped(qs: QuerySet[Event], group: str) -> QuerySet[Any]:
    """The period figures per group: one query."""
    return qs.values(grp=event_key(group)).annotate(**aggregates(is_postgres())).order_by()


TOTAL = object()  # the key of the total in percentile results


def sqlite_percentiles(
    qs: QuerySet[Event], group: str | None
) -> dict[tuple[str, object], dict[str, float]]:
    """{(series, group key or TOTAL): {"p50": seconds, "p90": seconds}} in one query.

    The values of each series are ranked per group (and once more overall) with
    ROW_NUMBER() and COUNT() windows; only the rows at rank ⌈0.5·n⌉ and ⌈0.9·n⌉
    come back, at most two per series and group."""
    key: Expression | F | Value = event_key(group) if group else Value(0)
    columns: dict[str, Any] = {"grp": key}
    for name, (events, field) in SERIES.items():
        columns[name] = Case(When(events, then=number(field)), output_field=FloatField())
    inner = qs.filter(Q(RESOLUTION) | Q(FIRST_RESPONSE)).values(**columns).order_by()
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # e.g. an inactive agent sees nothing
        return {}
    # Only our own names and numbers are put into the text; values are parameters.
    values = " UNION ALL ".join(
        f"SELECT '{name}' AS series, grp, {name} AS v FROM ev WHERE {name} IS NOT NULL"  # noqa: S608
        for name in SERIES
    )
    parts = []
    if group:
        parts.append("SELECT series, 0 AS total, grp, v FROM s")
    parts.append("SELECT series, 1 AS total, NULL AS grp, v FROM s")

    def ceil(q: float) -> str:  # ⌈q·cnt⌉ with integer arithmetic on SQLite
        x = f"({q!r} * cnt)"
        return f"(CAST({x} AS INTEGER) + ({x} > CAST({x} AS INTEGER)))"

    sql = (
        f"WITH ev AS ({inner_sql}), s AS ({values}), t AS ({' UNION ALL '.join(parts)}), "  # noqa: S608
        "r AS (SELECT series, total, grp, v, "
        "ROW_NUMBER() OVER (PARTITION BY series, total, grp ORDER BY v) AS rn, "
        "COUNT(*) OVER (PARTITION BY series, total, grp) AS cnt FROM t) "
        f"SELECT series, total, grp, v, rn = {ceil(0.5)}, rn = {ceil(0.9)} FROM r "
        f"WHERE rn = {ceil(0.5)} OR rn = {ceil(0.9)}"
    )
    found: dict[tuple[str, object], dict[str, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for series, total, grp, v, is_median, is_p90 in cursor.fetchall():
            slot = found.setdefault((series, TOTAL if total else grp), {})
            if is_median:
                slot["p50"] = float(v)
            if is_p90:
                slot["p90"] = float(v)
    return found


@dataclass
class Backlog:
    baseline: dict[object, int]  # group key -> open at the period's start
    delta: dict[tuple[object, date], int]  # (group key, day) -> change that day
    opened: dict[date, int]
    resolved: dict[date, int]


def open_counts(tickets: QuerySet[Ticket], group: str | None) -> list[dict[str, Any]]:
    """How many of `tickets` there are, per group (`grp`) or in all: one row per
    group, counted by the database. (Without a group, `values()` with no field once
    selected and grouped by every column: a row per open ticket, 209,000 rows and
    12.6 s of a 17 s report at a million tickets.)"""
    if not group:
        return [{"n": tickets.order_by().count()}]
    key = F(TICKET_FIELD[group].removeprefix("ticket__"))
    rows = tickets.values(grp=key).annotate(n=Count("pk")).order_by()
    return [dict(row) for row in rows]


def backlog(
    start: datetime,
    end: datetime,
    tz: str,
    group: str | None,
    *,
    agent: Agent | None,
    visible_to: Agent | None,
) -> Backlog:
    """The backlog at the period's start and its change on each local day, per
    group, with the day's opened and resolved counts: two grouped queries.

    It counts back from the tickets open now: open at the start = open now minus
    the moves since the start. So it reads the events from the period's start to
    now (an indexed range of (kind, created_at)), whatever the size of the history;
    counting forward from the first event ever read the whole history on every
    report and grew with it (about a second at 300,000 tickets on PostgreSQL)."""
    open_statuses = Status.objects.filter(state=State.OPEN).values("pk")
    qs = Event.objects.filter(kind__in=BACKLOG_KINDS, created_at__gte=start)
    qs = visible(qs, visible_to)
    mine = Q()
    resolved_by = Q(kind=K.RESOLVED)
    tickets = Ticket.objects.filter(state=State.OPEN)
    if visible_to is not None:
        tickets = tickets.filter(visibility_filter(visible_to))
    if agent is not None:
        # The backlog is the agent's current tickets; Resolved counts what they resolved.
        mine = Q(ticket__assignee_id=agent.pk)
        resolved_by &= Q(agent_id=agent.pk)
        qs = qs.filter(mine | Q(kind=K.RESOLVED, agent_id=agent.pk))
        tickets = tickets.filter(assignee_id=agent.pk)
    moves = Case(
        When(kind__in=[K.CREATED, K.REOPENED], then=Value(1)),
        When(kind=K.RESOLVED, then=Value(-1)),
        # Closed while open leaves the backlog; closed from Resolved had left already.
        When(Q(kind=K.CLOSED, old_status__in=open_statuses), then=Value(-1)),
        When(Q(kind=K.MERGED, old_status__in=open_statuses), then=Value(-1)),
        When(Q(kind=K.UNMERGED, new_status__in=open_statuses), then=Value(1)),
        default=Value(0),
    )
    day = Case(
        # After the period: only needed to count back from now.
        When(created_at__gte=end, then=Value(None, output_field=DateField())),
        default=TruncDate("created_at", tzinfo=ZoneInfo(tz)),
        output_field=DateField(),
    )
    keys: dict[str, Any] = {"day": day}
    if group:
        keys["grp"] = ticket_key(group)
    rows = (
        qs.alias(
            old_status=Cast(KeyTextTransform("old", "data"), BigIntegerField()),
            new_status=Cast(KeyTextTransform("new", "data"), BigIntegerField()),
        )
        .values(**keys)
        .annotate(
            moved=Sum(moves, filter=mine or None),
            opened=Count("pk", filter=Q(kind=K.CREATED) & mine),
            resolved=Count("pk", filter=resolved_by),
        )
        .order_by()
    )
    open_now = open_counts(tickets, group)
    out = Backlog({}, {}, {}, {})
    for counted in open_now:
        grp = counted.get("grp") if group else None
        out.baseline[grp] = out.baseline.get(grp, 0) + int(counted["n"])
    for found in rows:
        row = cast(dict[str, Any], found)
        grp = row.get("grp") if group else None
        moved = int(row["moved"] or 0)
        # Every move since the start is taken back from what is open now.
        out.baseline[grp] = out.baseline.get(grp, 0) - moved
        if row["day"] is None:
            continue
        when: date = row["day"]
        out.delta[(grp, when)] = out.delta.get((grp, when), 0) + moved
        out.opened[when] = out.opened.get(when, 0) + row["opened"]
        out.resolved[when] = out.resolved.get(when, 0) + row["resolved"]
    return out


def ratings(
    start: datetime,
    end: datetime,
    group: str | None,
    *,
    agent: Agent | None,
    visible_to: Agent | None,
) -> dict[object, dict[str, int]]:
    """{group key: {"good": n, "okay": n, "bad": n}} of ratings given in the period:
    one grouped query (index rating_created / rating_agent_created)."""
    from helpline.reports.metrics.ratings import between

    qs = visible(between(start, end), visible_to)
    if agent is not None:
        qs = qs.filter(agent_id=agent.pk)
    keys: dict[str, Any] = {"score_": F("score")}
    if group:
        # By agent, a rating belongs to the agent who resolved (Rating.agent).
        keys["grp"] = F("agent_id") if group == "agent" else ticket_key(group)
    found: dict[object, dict[str, int]] = {}
    for row in qs.values(**keys).annotate(n=Count("pk")).order_by():
        slot = found.setdefault(row.get("grp") if group else None, {})
        slot[row["score_"]] = slot.get(row["score_"], 0) + row["n"]
    return found


def labels(group: str, keys: Mapping[object, object]) -> list[tuple[object, str]]:
    """(key, label) of the groups found, in the usual order (names; priorities by
    urgency; sources as listed), with “none” last: at most one query."""
    from helpline.accounts.models import Department, Team
    from helpline.tickets.models import HelpTopic, Priority, Source

    ids: list[Any] = [k for k in keys if k is not None]
    found: list[tuple[object, str]]
    if group == "source":
        found = [(value, str(label)) for value, label in Source.choices if value in keys]
        found += [(k, str(k)) for k in ids if k not in Source.values]
    elif group == "agent":
        agents = Agent.objects.filter(pk__in=ids).select_related("user")
        found = [(a.pk, a.name) for a in agents]
    else:
        model: Any = {
            "department": Department,
            "topic": HelpTopic,
            "team": Team,
            "priority": Priority,
        }[group]
        found = list(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    known = {k for k, _label in found}
    found += [(k, _("Deleted (%(id)s)") % {"id": k}) for k in ids if k not in known]
    if None in keys:
        found.append((None, str(NONE_LABELS[group])))
    return found


NONE_LABELS = {
    "department": gettext_lazy("No department"),
    "topic": gettext_lazy("No help topic"),
    "team": gettext_lazy("No team"),
    "priority": gettext_lazy("No priority"),
    "source": gettext_lazy("No source"),
    "agent": gettext_lazy("No agent"),
}
