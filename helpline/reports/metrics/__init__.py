"""The help desk's figures for a period, grouped: read from the daily rollups
(`from_rollups`, when the period is in the zone they are kept in, the usual
case), else computed from the events (`sql`).

From the rollups, `report(period, group=...)` runs: the period figures of the
groups and the total, their histogram buckets, the backlog, the ratings and the
group labels; a number of rows that depends on the days and the groups, never
on the number of tickets. From the events, it runs a fixed number of grouped
queries whatever the number of tickets, groups or days (see docs/metrics.md for
the definitions, which are also in `DEFINITIONS` for the pages):

1. the period figures per group (skipped without grouping),
2. the same figures for the whole period (the total row),
3. on SQLite only, the medians and 90th percentiles (PostgreSQL computes them
   in 1 and 2 with percentile_disc),
4. the backlog before the period and its change per local day, per group,
5. the customer ratings per group,
6. the group labels (department, topic, team, priority or agent names).

`visible_to` adds the agent's department and team look-ups the first time an
agent object is used (two queries, cached on the object).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from helpline.accounts.models import Agent
from helpline.reports import rollups
from helpline.reports.metrics import from_rollups as from_rollups_
from helpline.reports.metrics import sql
from helpline.reports.metrics.definitions import DEFINITIONS, GROUPS
from helpline.reports.metrics.ratings import Summary
from helpline.reports.periods import Period
from helpline.tickets.models import Score

__all__ = ["DEFINITIONS", "GROUPS", "Report", "Row", "Stats", "as_json", "report"]


@dataclass
class Stats:
    """Durations in hours (2 decimals); None when there are none (n = 0)."""

    n: int
    median: float | None
    p90: float | None
    mean: float | None


@dataclass
class Row:
    key: str  # the group's id as text, "none" for the empty group, "all"/"total"
    label: str
    opened: int
    assigned: int
    overdue: int
    resolved: int
    closed: int
    reopened: int
    first_response: Stats
    first_response_business: Stats
    resolution: Stats
    resolution_business: Stats
    first_response_met: float | None  # share 0..1 (4 decimals); None when n = 0
    resolution_met: float | None
    first_response_breaches: int
    resolution_breaches: int
    reopen_rate: float | None
    handled: int
    satisfaction: dict[str, Any] | None  # {"good", "okay", "bad", "total", "score"}
    backlog: int = 0  # open at the end of the period's last day


@dataclass
class Report:
    period: Period
    group: str
    rows: list[Row]
    total: Row
    backlog: list[tuple[date, int]]  # open at the end of each day
    daily: list[dict[str, Any]]  # {"day": date, "opened": n, "resolved": n}
    # Row key -> the backlog per day of that group (every grouping is supported).
    backlog_by_group: dict[str, list[tuple[date, int]]] = field(default_factory=dict)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _satisfaction(counts: dict[str, int] | None) -> Summary:
    """The shape and rule of helpline.reports.metrics.ratings.summary, from grouped counts."""
    counts = counts or {}
    good, okay, bad = (counts.get(s, 0) for s in (Score.GOOD, Score.OKAY, Score.BAD))
    total = good + okay + bad
    return Summary(
        good=good,
        okay=okay,
        bad=bad,
        total=total,
        score=round(good / total, 4) if total else None,
    )


_EMPTY: dict[str, Any] = {}


def _row(
    key: str,
    label: str,
    figures: dict[str, Any],
    percentiles: dict[str, dict[str, float]],
    satisfaction: Summary,
    backlog: int,
) -> Row:
    def stats(name: str) -> Stats:
        n = int(figures.get(f"{name}_n") or 0)
        if not n:
            return Stats(0, None, None, None)
        found = percentiles.get(name) or {
            q: figures[f"{name}_{q}"] for q in sql.QUANTILES if f"{name}_{q}" in figures
        }
        return Stats(
            n, _hours(found.get("p50")), _hours(found.get("p90")), _hours(figures[f"{name}_mean"])
        )

    def count(name: str) -> int:
        return int(figures.get(name) or 0)

    return Row(
        key=key,
        label=label,
        opened=count("opened"),
        assigned=count("assigned"),
        overdue=count("overdue"),
        resolved=count("resolved"),
        closed=count("closed"),
        reopened=count("reopened"),
        first_response=stats("fr"),
        first_response_business=stats("frb"),
        resolution=stats("res"),
        resolution_business=stats("resb"),
        first_response_met=_share(count("fr_met"), count("fr_met_n")),
        resolution_met=_share(count("res_met"), count("res_met_n")),
        first_response_breaches=count("fr_breaches"),
        resolution_breaches=count("res_breaches"),
        reopen_rate=_share(count("reopened"), count("resolved")),
        handled=count("handled"),
        satisfaction=dict(satisfaction),
        backlog=backlog,
    )


def _is_empty(row: Row) -> bool:
    return not (
        row.opened
        or row.assigned
        or row.overdue
        or row.resolved
        or row.closed
        or row.reopened
        or row.first_response.n
        or row.handled
        or row.backlog
        or (row.satisfaction or {}).get("total")
    )


def report(
    period: Period,
    *,
    group: str = "none",
    agent: Agent | None = None,
    visible_to: Agent | None = None,
    from_rollups: bool | None = None,
) -> Report:
    """The figures of `period`, one row per group plus the total.

    `agent` keeps only that agent's own figures (see DEFINITIONS["grouping"]);
    `visible_to` keeps only tickets that agent may see (administrators: all).
    The figures come from the daily rollups when they are kept in the period's
    time zone (`from_rollups=None`), else from the events; True or False forces
    one (the tests compare them)."""
    if group not in GROUPS:
        raise ValueError(f"Unknown grouping “{group}”; choose one of {', '.join(GROUPS)}.")
    by = None if group == "none" else group
    start, end = period.bounds()
    days = period.days()
    if from_rollups is None:
        from_rollups = rollups.keeps(period.tz)
    ranks: dict[tuple[str, object], dict[str, float]] = {}
    if from_rollups:
        per_group, total = from_rollups_.figures(period, by, agent=agent, visible_to=visible_to)
        moves = from_rollups_.backlog(period, by, agent=agent, visible_to=visible_to)
    else:
        events = sql.period_events(start, end, agent=agent, visible_to=visible_to)
        postgres = sql.is_postgres()
        per_group = {row.pop("grp"): row for row in sql.grouped(events, by)} if by else {}
        total = events.aggregate(**sql.aggregates(postgres))
        ranks = {} if postgres else sql.sqlite_percentiles(events, by)
        moves = sql.backlog(start, end, period.tz, by, agent=agent, visible_to=visible_to)
    if from_rollups:
        # The ratings are counted in the rollups too (by the groups of the moment);
        # read per rating they were most of a year's report at a million tickets.
        rated = {
            key: {score: int(figures.get(f"rated_{score}") or 0) for score in Score.values}
            for key, figures in (per_group.items() if by else [(None, total)])
        }
    else:
        rated = sql.ratings(start, end, by, agent=agent, visible_to=visible_to)

    def series(key: object) -> list[tuple[date, int]]:
        running = moves.baseline.get(key, 0)
        out = []
        for day in days:
            running += moves.delta.get((key, day), 0)
            out.append((day, running))
        return out

    def percentiles(key: object) -> dict[str, dict[str, float]]:
        return {name: ranks.get((name, key), {}) for name in sql.SERIES} if ranks else {}

    backlog_keys = set(moves.baseline) | {k for k, _ in moves.delta}
    by_group = {key: series(key) for key in backlog_keys}
    overall = [(day, sum(s[i][1] for s in by_group.values())) for i, day in enumerate(days)]

    def text(key: object) -> str:
        return "none" if key is None else str(key)

    total_satisfaction = _satisfaction(
        {s: sum(c.get(s, 0) for c in rated.values()) for s in Score.values}
    )
    last = overall[-1][1] if overall else 0
    total_row = _row("total", _("Total"), total, percentiles(sql.TOTAL), total_satisfaction, last)
    rows: list[Row] = []
    backlog_by_group: dict[str, list[tuple[date, int]]] = {}
    if by is None:
        rows = [_row("all", _("All"), total, percentiles(sql.TOTAL), total_satisfaction, last)]
        backlog_by_group = {"all": overall}
    else:
        keys = set(per_group) | backlog_keys | set(rated)
        for key, label in sql.labels(by, dict.fromkeys(keys)):
            days_open = by_group.get(key) or [(day, 0) for day in days]
            row = _row(
                text(key),
                label,
                per_group.get(key, _EMPTY),
                percentiles(key),
                _satisfaction(rated.get(key)),
                days_open[-1][1] if days_open else 0,
            )
            if not _is_empty(row):
                rows.append(row)
                backlog_by_group[row.key] = days_open
    daily = [
        {"day": day, "opened": moves.opened.get(day, 0), "resolved": moves.resolved.get(day, 0)}
        for day in days
    ]
    return Report(period, group, rows, total_row, overall, daily, backlog_by_group)


def _row_json(row: Row) -> dict[str, Any]:
    return asdict(row)


def as_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values (dates as YYYY-MM-DD): what the page's charts
    and the API both use."""
    period = report.period
    return {
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "tz": period.tz,
            "label": period.label,
        },
        "group": report.group,
        "group_label": str(GROUPS[report.group]),
        "rows": [_row_json(row) for row in report.rows],
        "total": _row_json(report.total),
        "backlog": [{"day": day.isoformat(), "open": n} for day, n in report.backlog],
        "backlog_by_group": {
            key: [{"day": day.isoformat(), "open": n} for day, n in days]
            for key, days in report.backlog_by_group.items()
        },
        "daily": [
            {"day": d["day"].isoformat(), "opened": d["opened"], "resolved": d["resolved"]}
            for d in report.daily
        ],
    }
