"""The report's figures read from the daily rollups (helpline.reports.rollups):
three grouped queries over rows of the period's days, whose number depends on
the days and the groups, never on the number of tickets or events.

1. the period figures of each group and of the total (the "none" grouping), one
   query (`DailyRollup`, index `rollup_key`: grouping, scope, day);
2. the histograms of the same rows that hold times, one query; they are summed
   per group, series and bucket, and the percentiles picked, in Python;
3. the backlog: its moves per group and day up to the period's last day (the days
   before the period summed into one row per group), with the day's Opened and
   Resolved, one query.

Whose rows: administrators and the API read the rows by department (scope 0)
and a supervisor those of their departments, plus the rows by who (scope 1) of
the other departments' tickets assigned to them or to their teams: exactly what
`visibility_filter` lets them see, at the time of each event. An agent's own
figures are the scope-1 rows about them (`agent_key`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Case, DateField, Q, QuerySet, Sum, Value, When

from helpline.accounts.models import Agent
from helpline.reports.metrics.sql import QUANTILES, Backlog
from helpline.reports.models import COUNTS, HISTOGRAMS, SERIES, DailyRollup, Scope
from helpline.reports.periods import Period
from helpline.reports.rollups import bucket_value
from helpline.tickets.permissions import department_roles, team_ids

# The ratio q of each percentile as a fraction, so the rank ⌈q·n⌉ is exact.
_RANKS = {"p50": (1, 2), "p90": (9, 10)}
assert set(_RANKS) == set(QUANTILES)


class Nothing(Exception):
    """The viewer may see no row at all (an inactive agent)."""


def whose_rows(*, agent: Agent | None, visible_to: Agent | None) -> Q:
    """The rollup rows the viewer's figures come from (see the module docstring)."""
    if agent is not None:
        return Q(scope=Scope.WHO, agent_key=agent.pk)
    if visible_to is None or (visible_to.user.is_active and visible_to.is_admin):
        return Q(scope=Scope.DEPARTMENT)
    if not visible_to.user.is_active:
        raise Nothing
    departments = sorted(department_roles(visible_to))
    theirs = Q(assignee_key=visible_to.pk)
    if teams := team_ids(visible_to):
        theirs |= Q(team_key__in=sorted(teams))
    beyond = Q(scope=Scope.WHO) & theirs
    if departments:
        beyond &= ~Q(department_key__in=departments)
        return Q(scope=Scope.DEPARTMENT, department_key__in=departments) | beyond
    return beyond


def _key(dim: str, key: str) -> object:
    """The group key as the event queries give it (ids as numbers, "none" as None)."""
    if key == "":
        return None
    return key if dim == "source" else int(key)


def _rows(model: Any, dims: list[str], rows: Q) -> QuerySet[Any]:
    return model.objects.filter(rows, dim__in=dims).order_by()


def queries(
    period: Period, by: str | None, *, agent: Agent | None, visible_to: Agent | None
) -> tuple[QuerySet[Any], QuerySet[Any], QuerySet[Any]] | None:
    """The three reads of a report (figures, buckets, backlog; see the module
    docstring), or None when the viewer may see nothing."""
    try:
        rows = whose_rows(agent=agent, visible_to=visible_to)
    except Nothing:
        return None
    dims = ["none"] if by is None else [by, "none"]
    days = Q(day__gte=period.start, day__lte=period.end)
    handled = "handled_own" if agent is not None else "handled"
    sums = {name: Sum(name) for name in COUNTS if name not in ("handled", "handled_own")}
    sums["handled"] = Sum(handled)
    for series in SERIES:
        sums[f"{series}_n"] = Sum(f"{series}_n")
        sums[f"{series}_sum"] = Sum(f"{series}_sum")
    figures = _rows(DailyRollup, dims, rows).filter(days).values("dim", "key").annotate(**sums)
    timed = Q()
    for series in SERIES:
        timed |= Q(**{f"{series}_n__gt": 0})
    buckets = (
        _rows(DailyRollup, dims, rows).filter(days).filter(timed).values("dim", "key", *HISTOGRAMS)
    )
    day = Case(
        When(day__lt=period.start, then=Value(None, output_field=DateField())),
        default="day",
        output_field=DateField(),
    )
    moves = (
        _rows(DailyRollup, [by or "none"], rows)
        .filter(day__lte=period.end)
        .values("key", when=day)
        .annotate(moved=Sum("backlog"), opened=Sum("opened"), resolved=Sum("resolved"))
    )
    return figures, buckets, moves


def figures(
    period: Period, by: str | None, *, agent: Agent | None, visible_to: Agent | None
) -> tuple[dict[object, dict[str, Any]], dict[str, Any]]:
    """({group key: figures}, total figures), with the percentiles, in the shape of
    metrics.sql.aggregates (seconds; `<series>_p50`, `<series>_p90`)."""
    reads = queries(period, by, agent=agent, visible_to=visible_to)
    if reads is None:
        return {}, {}
    figures_qs, buckets_qs, _moves = reads
    found: dict[tuple[str, object], dict[str, Any]] = {}
    for row in figures_qs:
        out = found.setdefault((row["dim"], _key(row["dim"], row["key"])), defaultdict(int))
        for name, value in row.items():
            if name not in ("dim", "key"):
                out[name] += value or 0
    buckets: dict[tuple[str, object, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in buckets_qs:
        for series in SERIES:
            group = (row["dim"], _key(row["dim"], row["key"]), series)
            for bucket, n in (row[f"{series}_hist"] or {}).items():
                buckets[group][int(bucket)] += int(n)
    for (dim, key, series), counts in buckets.items():
        slot = found.setdefault((dim, key), defaultdict(int))
        slot.update(_percentiles(series, list(counts.items())))
    for slot in found.values():
        for series in SERIES:
            n = slot.get(f"{series}_n") or 0
            slot[f"{series}_mean"] = slot.get(f"{series}_sum", 0) / n if n else None
    total = dict(found.get(("none", None), {}))
    per_group = {key: dict(v) for (dim, key), v in found.items() if by is not None and dim == by}
    return per_group, total


def _percentiles(series: str, counts: list[tuple[int, int]]) -> dict[str, float]:
    """The nearest-rank percentiles of a histogram, each reported as the middle of
    the bucket that holds the ⌈q·n⌉-th value."""
    counts.sort()
    n = sum(c for _, c in counts)
    out: dict[str, float] = {}
    for name, (num, den) in _RANKS.items():
        rank = -(-num * n // den)  # ⌈q·n⌉ in integers
        seen = 0
        for bucket, count in counts:
            seen += count
            if seen >= rank:
                out[f"{series}_{name}"] = bucket_value(bucket)
                break
    return out


def backlog(
    period: Period, by: str | None, *, agent: Agent | None, visible_to: Agent | None
) -> Backlog:
    """The backlog before the period, its change per day and group, and the day's
    Opened and Resolved: one query over the grouping's rows up to the last day."""
    out = Backlog({}, {}, {}, {})
    reads = queries(period, by, agent=agent, visible_to=visible_to)
    if reads is None:
        return out
    moves = reads[2]
    for row in moves:
        key = _key(by, row["key"]) if by else None
        moved = int(row["moved"] or 0)
        when: date | None = row["when"]
        if when is None:
            out.baseline[key] = out.baseline.get(key, 0) + moved
            continue
        out.baseline.setdefault(key, 0)
        out.delta[(key, when)] = out.delta.get((key, when), 0) + moved
        out.opened[when] = out.opened.get(when, 0) + int(row["opened"] or 0)
        out.resolved[when] = out.resolved.get(when, 0) + int(row["resolved"] or 0)
    return out
