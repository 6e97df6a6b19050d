"""What the report page, its CSV and JSON exports and the REST API share: reading
the period and grouping from a query string, whose figures a viewer gets, the
columns of the report table, and the ticket queue as an export.

Whose figures: an administrator or a supervisor (by the agent's own role) sees
every ticket they may see (`visible_to`, administrators everything); an agent
sees only their own figures (`agent`, as the agent grouping attributes them). An
API key without an agent (the API channel) sees everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent, Role
from helpline.reports import periods, rollups
from helpline.reports.metrics import DEFINITIONS, GROUPS, Report, Row, Stats, report
from helpline.tickets.models import Source, Ticket

# --- the query string -----------------------------------------------------------


class BadReportInput(ValueError):
    """Input a report cannot be made from: a sentence to show, and the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ReportQuery:
    period: periods.Period
    group: str


def parse_query(params: Mapping[str, str], *, tz: str) -> ReportQuery:
    """The period and grouping a query string asks for (`preset`, `start`, `end`,
    `group`, `tz`; `tz` defaults to the viewer's zone). Raises BadReportInput."""
    group = (params.get("group") or "none").strip()
    if group not in GROUPS:
        raise BadReportInput(
            _("Unknown grouping “%(group)s”; choose one of %(choices)s.")
            % {"group": group, "choices": ", ".join(GROUPS)},
            "group",
        )
    name = (params.get("tz") or "").strip() or tz
    # Only the periods' own refusals are the input's fault: anything else raised
    # here is a bug, and must be a 500 that a test sees, not a 4xx that blames
    # the person who asked.
    try:
        today = timezone.now().astimezone(periods.zone(name)).date()
        period = periods.parse(params, today=today, tz=name)
    except periods.PeriodError as error:
        raise BadReportInput(str(error), error.field) from None
    return ReportQuery(period, group)


def default_zone() -> str:
    """The zone a report is in when the query names none: the one the daily rollups
    are kept in (settings.REPORTS_TIME_ZONE), so reports read them. A viewer may
    ask for their own (`tz`); those reports are computed from the events."""
    return rollups.zone_name()


def whose(agent: Agent | None) -> dict[str, Agent]:
    """The `report()` arguments that limit the figures to what `agent` may see."""
    if agent is None:
        return {}
    if agent.role in (Role.ADMIN, Role.SUPERVISOR):
        return {"visible_to": agent}
    return {"agent": agent}


def own_figures_only(agent: Agent | None) -> bool:
    return "agent" in whose(agent)


def run(query: ReportQuery, agent: Agent | None) -> Report:
    """The report for `query` as `agent` may see it (None: the API channel)."""
    limits = whose(agent)
    return report(
        query.period,
        group=query.group,
        agent=limits.get("agent"),
        visible_to=limits.get("visible_to"),
    )


# --- the report table -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # stable id: CSV header order and tests
    section: str  # which table of the page
    band: str | Promise  # the header spanning related columns ("" for none)
    label: str | Promise  # the column header under the band
    definition: str  # key of DEFINITIONS
    kind: str  # "count", "hours" or "share"
    value: Callable[[Row], int | float | None]

    @property
    def csv_label(self) -> str:
        unit = {"hours": _(" (hours)"), "share": _(" (share 0-1)")}.get(self.kind, "")
        text = f"{self.band}: {self.label}" if self.band else self.label
        return text + unit

    @property
    def help(self) -> str:
        return str(DEFINITIONS[self.definition])


def _stat(name: str, part: str) -> Callable[[Row], int | float | None]:
    def get(row: Row) -> int | float | None:
        stats: Stats = getattr(row, name)
        value: int | float | None = getattr(stats, part)
        return value

    return get


def _attr(name: str) -> Callable[[Row], int | float | None]:
    def get(row: Row) -> int | float | None:
        value: int | float | None = getattr(row, name)
        return value

    return get


def _rating(part: str) -> Callable[[Row], int | float | None]:
    def get(row: Row) -> int | float | None:
        value: int | float | None = (row.satisfaction or {}).get(part)
        return value

    return get


STAT_PARTS = [
    ("n", gettext_lazy("Count"), "count"),
    ("median", gettext_lazy("Median"), "hours"),
    ("p90", gettext_lazy("90th pct"), "hours"),
]
STAT_PARTS += [("mean", gettext_lazy("Mean"), "hours")]
TIMES = [
    ("first_response", gettext_lazy("First response, clock")),
    ("first_response_business", gettext_lazy("First response, business hours")),
    ("resolution", gettext_lazy("Resolution, clock")),
    ("resolution_business", gettext_lazy("Resolution, business hours")),
]
SECTIONS: dict[str, str | Promise] = {
    "volume": gettext_lazy("Volume and workload"),
    "times": gettext_lazy("Response and resolution times"),
    "quality": gettext_lazy("SLA compliance, reopens and satisfaction"),
}

COLUMNS: list[Column] = [
    *(
        Column(key, "volume", "", label, key, "count", _attr(key))
        for key, label in [
            ("opened", gettext_lazy("Opened")),
            ("assigned", gettext_lazy("Assigned")),
            ("resolved", gettext_lazy("Resolved")),
            ("closed", gettext_lazy("Closed")),
            ("reopened", gettext_lazy("Reopened")),
            ("overdue", gettext_lazy("Overdue")),
            ("handled", gettext_lazy("Handled")),
            ("backlog", gettext_lazy("Open at end")),
        ]
    ),
    *(
        Column(
            f"{name}_{part}",
            "times",
            band,
            label,
            name if part == "n" else part,
            kind,
            _stat(name, part),
        )
        for name, band in TIMES
        for part, label, kind in STAT_PARTS
    ),
    Column(
        "first_response_met",
        "quality",
        gettext_lazy("First response"),
        gettext_lazy("Met"),
        "first_response_met",
        "share",
        _attr("first_response_met"),
    ),
    Column(
        "first_response_breaches",
        "quality",
        gettext_lazy("First response"),
        gettext_lazy("Breaches"),
        "first_response_breaches",
        "count",
        _attr("first_response_breaches"),
    ),
    Column(
        "resolution_met",
        "quality",
        gettext_lazy("Resolution"),
        gettext_lazy("Met"),
        "resolution_met",
        "share",
        _attr("resolution_met"),
    ),
    Column(
        "resolution_breaches",
        "quality",
        gettext_lazy("Resolution"),
        gettext_lazy("Breaches"),
        "resolution_breaches",
        "count",
        _attr("resolution_breaches"),
    ),
    Column(
        "reopen_rate",
        "quality",
        "",
        gettext_lazy("Reopen rate"),
        "reopen_rate",
        "share",
        _attr("reopen_rate"),
    ),
    *(
        Column(
            f"satisfaction_{part}",
            "quality",
            gettext_lazy("Satisfaction"),
            label,
            "satisfaction",
            kind,
            _rating(part),
        )
        for part, label, kind in [
            ("good", gettext_lazy("Good"), "count"),
            ("okay", gettext_lazy("Okay"), "count"),
            ("bad", gettext_lazy("Bad"), "count"),
            ("score", gettext_lazy("Score"), "share"),
        ]
    ),
]


def table_header(report: Report) -> list[str]:
    return [str(GROUPS[report.group]) if report.group != "none" else _("Group")] + [
        c.csv_label for c in COLUMNS
    ]


def table_rows(report: Report) -> list[list[Any]]:
    """The report table as CSV rows: the groups, then the total row."""
    return [[row.label, *(c.value(row) for c in COLUMNS)] for row in [*report.rows, report.total]]


def daily_header() -> list[str]:
    return [_("Day"), _("Opened"), _("Resolved"), _("Open at end of day")]


def daily_rows(report: Report) -> list[list[Any]]:
    """The per-day table: opened and resolved that day, the backlog at its end."""
    backlog = dict(report.backlog)
    return [
        [d["day"].isoformat(), d["opened"], d["resolved"], backlog.get(d["day"], 0)]
        for d in report.daily
    ]


def report_filename(report: Report, table: str = "groups") -> str:
    period = report.period
    what = "daily" if table == "daily" else report.group
    return f"helpline-report-{what}-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv"


# --- ticket queues ------------------------------------------------------------


QUEUE_FIELDS = (
    "number",
    "subject",
    "customer__name",
    "customer__email",
    "department__name",
    "topic__name",
    "priority__name",
    "status__name",
    "state",
    "assignee__user__first_name",
    "assignee__user__last_name",
    "assignee__user__username",
    "team__name",
    "source",
    "is_overdue",
    "due_at",
    "created_at",
    "updated_at",
)


def queue_header(tz_name: str) -> list[str]:
    zone = {"zone": tz_name}
    return [
        _("Number"),
        _("Subject"),
        _("Customer"),
        _("Customer email"),
        _("Department"),
        _("Help topic"),
        _("Priority"),
        _("Status"),
        _("State"),
        _("Assigned to"),
        _("Team"),
        _("Source"),
        _("Overdue"),
        _("Due (%(zone)s)") % zone,
        _("Created (%(zone)s)") % zone,
        _("Last update (%(zone)s)") % zone,
    ]


def _local(moment: datetime | None, zone: tzinfo) -> str:
    """The time in the viewer's zone; in UTC when the zone cannot hold it (a date
    stored before dates were bounded). An exception here would stop the file
    after its first rows, and a cut CSV looks like a whole one."""
    if moment is None:
        return ""
    try:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except OverflowError:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


SOURCES = dict(Source.choices)


def queue_rows(qs: QuerySet[Ticket], zone: tzinfo, chunk: int = 2000) -> Iterator[Sequence[Any]]:
    """The queue's tickets as CSV rows, read in chunks (one query, only these
    columns, no model objects), so the export's memory does not grow with it."""
    rows = qs.values_list(*QUEUE_FIELDS).iterator(chunk_size=chunk)
    for (
        number,
        subject,
        customer,
        email,
        department,
        topic,
        priority,
        status,
        state,
        first,
        last,
        username,
        team,
        source,
        overdue,
        due,
        created,
        updated,
    ) in rows:
        assignee = f"{first or ''} {last or ''}".strip() or (username or "")
        yield [
            number,
            subject,
            customer,
            email,
            department,
            topic or "",
            priority,
            status,
            state,
            assignee,
            team or "",
            SOURCES.get(source, source),
            bool(overdue),
            _local(due, zone),
            _local(created, zone),
            _local(updated, zone),
        ]
