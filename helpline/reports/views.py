"""The reports pages of the desk: the report page (charts and tables), its JSON
(the same `as_json` the REST API returns) and CSV exports, and the CSV export of
a ticket queue with its filters."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from helpline.bulk import selection
from helpline.bulk.actions import BadBulkInput
from helpline.lib import bounds
from helpline.reports import exports
from helpline.reports.csvsafe import write_csv
from helpline.reports.exports import COLUMNS, SECTIONS, BadReportInput, Column
from helpline.reports.metrics import DEFINITIONS, GROUPS, Report, Row, as_json
from helpline.reports.periods import PRESETS, StrOrPromise
from helpline.search.query import BadSearch
from helpline.search.service import export_pages
from helpline.tickets import queues
from helpline.tickets.models import Ticket
from helpline.tickets.queues import BadQueueInput
from helpline.web.auth import agent_required, current_agent

# The definitions as the page's glossary shows them, under the docs' headings.
GLOSSARY: list[tuple[StrOrPromise, list[tuple[str, StrOrPromise]]]] = [
    (
        gettext_lazy("Period and grouping"),
        [("period", gettext_lazy("Period")), ("grouping", gettext_lazy("Grouping"))],
    ),
    (
        gettext_lazy("Counts"),
        [
            ("opened", gettext_lazy("Opened")),
            ("assigned", gettext_lazy("Assigned")),
            ("overdue", gettext_lazy("Overdue")),
            ("resolved", gettext_lazy("Resolved")),
            ("closed", gettext_lazy("Closed")),
            ("reopened", gettext_lazy("Reopened")),
            ("backlog", gettext_lazy("Backlog (open at end)")),
            ("handled", gettext_lazy("Handled")),
        ],
    ),
    (
        gettext_lazy("Times"),
        [
            ("first_response", gettext_lazy("First response time")),
            ("first_response_business", gettext_lazy("First response time, business hours")),
            ("resolution", gettext_lazy("Resolution time")),
            ("resolution_business", gettext_lazy("Resolution time, business hours")),
            ("median", gettext_lazy("Median")),
            ("p90", gettext_lazy("90th percentile")),
            ("mean", gettext_lazy("Mean")),
        ],
    ),
    (
        gettext_lazy("SLA, reopens and satisfaction"),
        [
            ("first_response_met", gettext_lazy("First response met")),
            ("resolution_met", gettext_lazy("Resolution met")),
            ("first_response_breaches", gettext_lazy("First-response breaches")),
            ("resolution_breaches", gettext_lazy("Resolution breaches")),
            ("reopen_rate", gettext_lazy("Reopen rate")),
            ("satisfaction", gettext_lazy("Satisfaction")),
        ],
    ),
]


# The words of the charts (static/reports/reports.js), translated here and
# handed to the script in the page (`#report-text`).
def chart_text() -> dict[str, str]:
    return {
        "minutes": _("{n} min"),
        "hours": _("{n} h"),
        "days": _("{n} d"),
        "median": _("Median"),
        "p90": _("90th percentile"),
        "hours_axis": _("Hours"),
        "opened": _("Opened"),
        "resolved": _("Resolved"),
        "tickets": _("Tickets"),
        "others": _("Others ({n})"),
        "open_tickets": _("Open tickets"),
        "total": _("Total"),
        "first_response_met": _("First response met"),
        "resolution_met": _("Resolution met"),
        "met_axis": _("% met"),
        "updated": _("Report updated: {title}"),
        "failed": _("The report could not be shown."),
    }


REPORT_PARAMS = ("preset", "start", "end", "group", "tz")


def _params(request: HttpRequest) -> dict[str, str]:
    """The report's own query parameters, as typed (trimmed)."""
    found = {key: request.GET.get(key, "").strip() for key in REPORT_PARAMS}
    return {key: value for key, value in found.items() if value}


def _query(request: HttpRequest) -> exports.ReportQuery:
    return exports.parse_query(_params(request), tz=exports.default_zone())


# --- formatting for the page ---------------------------------------------------


def hours_text(value: float | None) -> str:
    """A duration in hours as people read it: 45 min, 5.5 h, 3.2 d."""
    if value is None:
        return "—"
    if value < 1:
        return _("%(minutes)s min") % {"minutes": number_format(round(value * 60))}
    if value < 48:
        return _("%(hours)s h") % {"hours": number_format(value, decimal_pos=1)}
    return _("%(days)s d") % {"days": number_format(value / 24, decimal_pos=1)}


def share_text(value: float | None) -> str:
    return "—" if value is None else f"{number_format(value * 100, decimal_pos=1)} %"


def cell_text(column: Column, value: int | float | None) -> str:
    if column.kind == "hours":
        return hours_text(value)
    if column.kind == "share":
        return share_text(value)
    return "—" if value is None else number_format(value, force_grouping=True)


def _section(key: str, report: Report) -> dict[str, Any]:
    columns = [c for c in COLUMNS if c.section == key]
    bands: list[dict[str, Any]] = []
    for column in columns:
        if bands and bands[-1]["label"] == column.band and column.band:
            bands[-1]["span"] += 1
        else:
            bands.append(
                {
                    "label": column.band,
                    "span": 1,
                    "column": column,
                    "definition": column.definition,
                    "help": column.help,
                }
            )

    def cells(row: Row) -> list[dict[str, Any]]:
        return [
            {"value": c.value(row), "text": cell_text(c, c.value(row)), "key": c.key}
            for c in columns
        ]

    return {
        "key": key,
        "title": SECTIONS[key],
        "columns": columns,
        "bands": bands,
        "banded": any(c.band for c in columns),
        "rows": [{"label": r.label, "key": r.key, "cells": cells(r)} for r in report.rows],
        "total": {"label": report.total.label, "cells": cells(report.total)},
    }


def _kpis(report: Report) -> list[dict[str, str]]:
    total = report.total
    rating = total.satisfaction or {}
    kpis = [
        {
            "label": _("Opened"),
            "value": number_format(total.opened, force_grouping=True),
            "definition": "opened",
        },
        {
            "label": _("Resolved"),
            "value": number_format(total.resolved, force_grouping=True),
            "definition": "resolved",
        },
        {
            "label": _("Open at end"),
            "value": number_format(total.backlog, force_grouping=True),
            "definition": "backlog",
        },
        {
            "label": _("First response, median"),
            "value": hours_text(total.first_response.median),
            "definition": "first_response",
        },
        {
            "label": _("Resolution, median"),
            "value": hours_text(total.resolution.median),
            "definition": "resolution",
        },
        {
            "label": _("Resolution SLA met"),
            "value": share_text(total.resolution_met),
            "definition": "resolution_met",
        },
        {
            "label": _("Satisfaction"),
            "value": share_text(rating.get("score")),
            "definition": "satisfaction",
        },
    ]
    return [{**k, "help": str(DEFINITIONS[k["definition"]])} for k in kpis]


def _form(params: dict[str, str], query: exports.ReportQuery | None) -> dict[str, str]:
    """What the form shows: the period's own dates once it is known, else what was
    typed, so a mistake can be corrected where it was made."""
    preset = params.get("preset", "")
    if not preset:
        preset = "custom" if (params.get("start") or params.get("end")) else "7d"
    form = {
        "preset": preset,
        "start": params.get("start", ""),
        "end": params.get("end", ""),
        "group": params.get("group") or "none",
    }
    if query is not None:
        form["start"] = query.period.start.isoformat()
        form["end"] = query.period.end.isoformat()
        form["group"] = query.group
    return form


def _links(params: dict[str, str]) -> dict[str, str]:
    query = urlencode({k: v for k, v in params.items() if v})
    suffix = f"?{query}" if query else ""
    daily = urlencode({**{k: v for k, v in params.items() if v}, "table": "daily"})
    return {
        "csv": reverse("reports:export") + suffix,
        "daily_csv": reverse("reports:export") + f"?{daily}",
        "json": reverse("reports:data") + suffix,
    }


@agent_required
@require_safe
def report_page(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    params = _params(request)
    error: BadReportInput | None = None
    query: exports.ReportQuery | None = None
    context: dict[str, Any] = {}
    try:
        query = _query(request)
    except BadReportInput as bad:
        error = bad
    if query is not None:
        result = exports.run(query, agent)
        backlog = dict(result.backlog)
        context = {
            "report": result,
            "data": as_json(result),
            "sections": [_section(key, result) for key in SECTIONS],
            "kpis": _kpis(result),
            "days": [{**d, "backlog": backlog.get(d["day"], 0)} for d in result.daily],
            "links": _links(params),
        }
    context.update(
        {
            "nav": "reports",
            "error": error,
            "form": _form(params, query),
            "presets": [*PRESETS.items(), ("custom", _("Custom range"))],
            "groups": GROUPS.items(),
            "own": exports.own_figures_only(agent),
            "tz": params.get("tz") or exports.default_zone(),
            "tz_param": params.get("tz", ""),
            # The browser's date picker offers only the days a period may cover.
            "date_range": (bounds.EARLIEST_DATE.isoformat(), bounds.LATEST_DATE.isoformat()),
            "definitions": DEFINITIONS,
            "chart_text": chart_text(),
            "glossary": [
                (heading, [(key, label, DEFINITIONS[key]) for key, label in entries])
                for heading, entries in GLOSSARY
            ],
        }
    )
    template = "reports/_report.html" if request.htmx else "reports/page.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


@agent_required
@require_safe
def report_data(request: HttpRequest) -> JsonResponse:
    """The report as JSON: exactly what GET /api/v1/reports returns."""
    try:
        query = _query(request)
    except BadReportInput as bad:
        return JsonResponse({"detail": bad.message, "field": bad.field}, status=422)
    return JsonResponse(as_json(exports.run(query, current_agent(request))))


@agent_required
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The report table (the page's three tables as one) or, with `table=daily`,
    the per-day table, as CSV."""
    try:
        query = _query(request)
    except BadReportInput as bad:
        return HttpResponse(bad.message, status=422, content_type="text/plain; charset=utf-8")
    result = exports.run(query, current_agent(request))
    if request.GET.get("table") == "daily":
        return write_csv(
            exports.daily_rows(result),
            exports.daily_header(),
            exports.report_filename(result, "daily"),
        )
    return write_csv(
        exports.table_rows(result), exports.table_header(result), exports.report_filename(result)
    )


@agent_required
@require_safe
def queue_csv(request: HttpRequest, queue: str) -> HttpResponse | StreamingHttpResponse:
    """A ticket queue with its filters and sort, every ticket of it, as CSV."""
    agent = current_agent(request)
    params = {k: str(v) for k, v in request.GET.items() if v}
    try:
        selection = queues.select(agent, queue, params)
    except BadQueueInput as bad:  # before the file starts: a clear answer, not a cut file
        return HttpResponse(bad.message, status=400, content_type="text/plain; charset=utf-8")
    if selection is None:
        raise Http404(_("No such queue"))
    zone = timezone.get_current_timezone()
    tz_name = timezone.get_current_timezone_name()
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return write_csv(
        exports.queue_rows(selection.tickets, zone),
        exports.queue_header(tz_name),
        f"helpline-{queue}-tickets-{stamp}.csv",
    )


@agent_required
@require_POST
def selection_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The tickets ticked in a queue (the selection bar's "Export selected"), in
    the order ticked, or with `scope=matching` the queue's tickets with its
    filters and sort: the queue CSV's columns. Only tickets the agent can see."""
    agent = current_agent(request)
    try:
        targets, *_rest = selection.from_post(agent, request.POST)
    except BadBulkInput as bad:
        return HttpResponse(bad.message, status=400, content_type="text/plain; charset=utf-8")
    zone = timezone.get_current_timezone()
    stamp = timezone.localtime().strftime("%Y-%m-%d")

    def rows() -> Iterator[Sequence[Any]]:
        # In chunks, in the selection's order (bounded IN lists), each read again
        # with the agent's visibility.
        for start in range(0, len(targets), 1000):
            chunk = targets[start : start + 1000]
            found = Ticket.objects.visible_to(agent).filter(pk__in=[t.pk for t in chunk])
            by_number = {row[0]: row for row in exports.queue_rows(found, zone)}
            yield from (by_number[t.number] for t in chunk if t.number in by_number)

    return write_csv(
        rows(),
        exports.queue_header(timezone.get_current_timezone_name()),
        f"helpline-selected-tickets-{stamp}.csv",
    )


@agent_required
@require_safe
def search_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The desk search's tickets (with the results page's filters), newest first
    (a ticket number's: the tickets whose number starts so, by number), up to
    EXPORT_MAX, as CSV: the queue CSV's columns."""
    agent = current_agent(request)
    typed = request.GET.get("q", "")[:1000]
    if not typed.strip():
        message = _("Type a search first: the file holds the tickets it finds.")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    pages = export_pages(typed, agent=agent, filters=queues.filter_params(request.GET))
    try:
        first = next(pages, [])
    except BadSearch as bad:  # before the file starts: a clear answer, not a cut file
        return HttpResponse(bad.message, status=400, content_type="text/plain; charset=utf-8")
    zone = timezone.get_current_timezone()

    def rows() -> Iterator[Sequence[Any]]:
        # Each page's rows read again with the agent's visibility: the file may
        # take a while, and a ticket transferred away meanwhile leaves it.
        visible = Ticket.objects.visible_to(agent)
        for ids in itertools.chain([first], pages):
            yield from exports.queue_rows(visible.filter(pk__in=ids).order_by("-pk"), zone)

    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return write_csv(
        rows(),
        exports.queue_header(timezone.get_current_timezone_name()),
        f"helpline-search-{stamp}.csv",
    )
