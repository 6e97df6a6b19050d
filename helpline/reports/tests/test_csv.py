"""CSV exports: the report table and ticket queues, what they contain, that text a
spreadsheet would run is escaped (CVE-2019-14749 in osTicket) while the numbers
we computed stay numbers, and that an export's cost does not grow with it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Agent
from helpline.conftest import World, make_customer
from helpline.reports import exports
from helpline.reports.csvsafe import BOM, csv_lines, safe_cell
from helpline.reports.metrics import report
from helpline.reports.tests import test_metrics
from helpline.reports.tests.test_metrics import PERIOD, History
from helpline.tickets import lifecycle
from helpline.tickets.models import HelpTopic, Priority, Ticket
from helpline.tickets.queues import queue_page

pytestmark = pytest.mark.django_db

# The hand-checked history of test_metrics.py, as a fixture here too.
history = test_metrics.history

RANGE = {"preset": "custom", "start": "2026-12-01", "end": "2026-12-03", "tz": "Europe/Berlin"}
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1)",
    "@x",
    "-2+3",
    "\tTab",
    "\rReturn",
    " =1",
    "\n=1",
    "\0=1",
]


def rows_of(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body[len(BOM) :])))


def signed_in(client: Client, agent: Agent) -> Client:
    client.force_login(agent.user)
    return client


# --- the rule --------------------------------------------------------------------


@pytest.mark.parametrize("text", FORMULAS)
def test_text_a_spreadsheet_would_run_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["Printer on fire", "Ken Adams", "", "2026-12-01", "'quoted", " x = 1"]
)
def test_other_text_is_left_alone(text: str) -> None:
    assert safe_cell(text) == text


def test_numbers_we_computed_stay_numbers_even_negative_ones() -> None:
    assert safe_cell(-2) == -2
    assert safe_cell(-2.5) == -2.5
    assert safe_cell(Decimal("-0.25")) == Decimal("-0.25")
    assert safe_cell(0.6667) == 0.6667
    assert safe_cell(None) == "" and safe_cell(True) == "yes" and safe_cell(False) == "no"
    line = list(csv_lines([[-2, "-2", 1.5, "=1+1"]], ["a", "b", "c", "d"]))[1]
    assert line == "-2,'-2,1.5,'=1+1\r\n"


def test_header_cells_are_escaped_too() -> None:
    first = next(csv_lines([], ["=evil", "fine"]))
    assert first == BOM + "'=evil,fine\r\n"


# --- the report table ------------------------------------------------------------


def test_the_report_csv_is_the_page_table(history: History, client: Client) -> None:
    signed_in(client, history.world.admin)
    params = {**RANGE, "group": "department"}
    response = client.get("/desk/reports/export.csv", params)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="helpline-report-department-2026-12-01-to-2026-12-03.csv"'
    )
    header, *rows = rows_of(response)
    expected = report(PERIOD, group="department")
    assert header == exports.table_header(expected)
    assert header[:3] == ["Department", "Opened", "Assigned"]
    assert len(header) == 1 + len(exports.COLUMNS)
    # Every value as the report object has it, numbers written as plain numbers.
    assert rows == [
        ["" if v is None else str(v) for v in row] for row in exports.table_rows(expected)
    ]
    assert [r[0] for r in rows] == ["Sales", "Support", "Total"]
    # ... and the same rows and figures as the page's tables.
    page = client.get("/desk/reports/", params)
    shown: dict[str, dict[str, Any]] = {}
    for section in page.context["sections"]:
        for row in [*section["rows"], section["total"]]:
            shown.setdefault(row["label"], {}).update({c["key"]: c["value"] for c in row["cells"]})
    for row in rows:
        figures = dict(zip(header[1:], row[1:], strict=True))
        for column in exports.COLUMNS:
            value = shown[row[0]][column.key]
            assert figures[column.csv_label] == ("" if value is None else str(value))


def test_the_json_export_matches_the_csv(history: History, client: Client) -> None:
    signed_in(client, history.world.admin)
    params = {**RANGE, "group": "agent"}
    data = client.get("/desk/reports/data", params).json()
    header, *rows = rows_of(client.get("/desk/reports/export.csv", params))
    assert [r[0] for r in rows] == [r["label"] for r in data["rows"]] + ["Total"]
    for row, item in zip(rows, [*data["rows"], data["total"]], strict=True):
        figures = dict(zip(header, row, strict=True))
        assert figures["Opened"] == str(item["opened"])
        assert figures["Resolution, clock: Median (hours)"] == (
            "" if item["resolution"]["median"] is None else str(item["resolution"]["median"])
        )
        assert figures["Resolution: Met (share 0-1)"] == (
            "" if item["resolution_met"] is None else str(item["resolution_met"])
        )


def test_the_per_day_table_as_csv(history: History, client: Client) -> None:
    signed_in(client, history.world.admin)
    response = client.get("/desk/reports/export.csv", {**RANGE, "table": "daily"})
    assert "helpline-report-daily-2026-12-01" in response["Content-Disposition"]
    assert rows_of(response) == [
        ["Day", "Opened", "Resolved", "Open at end of day"],
        ["2026-12-01", "4", "1", "4"],
        ["2026-12-02", "1", "3", "2"],
        ["2026-12-03", "0", "0", "2"],
    ]


def test_an_agents_csv_has_only_their_own_figures(history: History, client: Client) -> None:
    signed_in(client, history.alice)
    _, *rows = rows_of(client.get("/desk/reports/export.csv", RANGE))
    mine = report(PERIOD, agent=history.alice)
    assert rows == [["" if v is None else str(v) for v in r] for r in exports.table_rows(mine)]


def test_group_names_that_look_like_formulas_are_escaped_in_the_report(
    history: History, client: Client
) -> None:
    HelpTopic.objects.filter(name="Printers").update(name='=HYPERLINK("http://x")')
    HelpTopic.objects.filter(name="Pricing").update(name="@SUM(A1)")
    signed_in(client, history.world.admin)
    _, *rows = rows_of(client.get("/desk/reports/export.csv", {**RANGE, "group": "topic"}))
    labels = [r[0] for r in rows]
    assert '\'=HYPERLINK("http://x")' in labels and "'@SUM(A1)" in labels
    # The figures beside them are still plain numbers.
    assert all(cell == "" or not cell.startswith("'") for r in rows for cell in r[1:])


def test_the_report_export_costs_a_fixed_number_of_queries(
    history: History, client: Client
) -> None:
    signed_in(client, history.world.supervisor)
    client.get("/desk/reports/export.csv", RANGE)  # warm the session
    with CaptureQueriesContext(connection) as few:
        rows_of(client.get("/desk/reports/export.csv", {**RANGE, "group": "agent"}))
    for n in range(5):
        history.world.open(f"More {n}")
    with CaptureQueriesContext(connection) as more:
        rows_of(client.get("/desk/reports/export.csv", {**RANGE, "group": "agent"}))
    assert len(more) == len(few) <= 14


# --- ticket queues ---------------------------------------------------------------


@pytest.fixture
def tricky(world: World) -> list[Ticket]:
    """Tickets whose customer and subjects a spreadsheet would run."""
    evil = make_customer(FORMULAS[0], "evil@example.com")
    tickets = [
        world.open(subject, customer=evil, actor=evil) for subject in ["+SUM(1)", "@x", "-2+3"]
    ]
    tickets.append(world.open("Printer on fire"))
    tickets.append(world.open("Quote", topic=world.sales_topic))
    return tickets


def test_the_queue_csv_escapes_what_customers_wrote(
    world: World, tricky: list[Ticket], client: Client
) -> None:
    signed_in(client, world.admin)
    response = client.get("/desk/reports/queues/open/export.csv", {"sort": "oldest"})
    assert response["Content-Disposition"].startswith(
        'attachment; filename="helpline-open-tickets-'
    )
    header, *rows = rows_of(response)
    assert header[:4] == ["Number", "Subject", "Customer", "Customer email"]
    by_subject = {row[1]: row for row in rows}
    assert set(by_subject) == {"'+SUM(1)", "'@x", "'-2+3", "Printer on fire", "Quote"}
    assert by_subject["'+SUM(1)"][2] == "'" + FORMULAS[0]
    assert by_subject["Printer on fire"][2] == "Ken Adams"
    assert [row[0] for row in rows] == [t.number for t in tricky]


@pytest.mark.parametrize(
    ("queue", "params"),
    [
        ("open", {"sort": "oldest"}),
        ("open", {"department": "support", "sort": "number"}),
        ("open", {"priority": "high", "sort": "priority"}),
        ("unassigned", {}),
        ("mine", {}),
        ("open", {"assignee": "none", "sort": "created"}),
    ],
)
def test_the_queue_csv_has_the_tickets_of_the_queue_page_in_its_order(
    world: World, tricky: list[Ticket], client: Client, queue: str, params: dict[str, str]
) -> None:
    high = Priority.objects.get(name="High")
    lifecycle.claim(tricky[0], actor=world.supervisor)
    lifecycle.change_priority(tricky[1], actor=world.supervisor, priority=high)
    resolved = {"support": str(world.support.pk), "high": str(high.pk)}
    params = {
        k: resolved.get(v, v) if k in ("department", "priority") else v for k, v in params.items()
    }
    signed_in(client, world.supervisor)
    page = client.get(f"/desk/queues/{queue}/", params)
    shown = [t.number for t in page.context["page"].tickets]
    _, *rows = rows_of(client.get(f"/desk/reports/queues/{queue}/export.csv", params))
    assert [row[0] for row in rows] == shown
    # Every ticket, not one page: the same as the page with room for all.
    everything = queue_page(world.supervisor, queue, params, page_size=10_000)
    assert everything is not None
    assert [row[0] for row in rows] == [t.number for t in everything.tickets]


def test_the_queue_csv_shows_only_tickets_the_agent_may_see(
    world: World, tricky: list[Ticket], client: Client
) -> None:
    signed_in(client, world.other_agent)  # Sales only
    _, *rows = rows_of(client.get("/desk/reports/queues/open/export.csv"))
    assert [row[1] for row in rows] == ["Quote"]


def test_an_unknown_queue_is_not_found(world: World, client: Client) -> None:
    signed_in(client, world.admin)
    assert client.get("/desk/reports/queues/everything/export.csv").status_code == 404


def test_the_queue_export_costs_the_same_for_more_tickets(world: World, client: Client) -> None:
    for n in range(3):
        world.open(f"Ticket {n}")
    signed_in(client, world.supervisor)
    client.get("/desk/reports/queues/open/export.csv")  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert len(rows_of(client.get("/desk/reports/queues/open/export.csv"))) == 4
    for n in range(30):
        world.open(f"More {n}")
    with CaptureQueriesContext(connection) as more:
        assert len(rows_of(client.get("/desk/reports/queues/open/export.csv"))) == 34
    assert len(more) == len(few) <= 8


def test_the_search_csv_holds_what_the_search_finds_with_its_filters_newest_first(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search results page's "Download CSV": the tickets the agent may see
    that match, with the page's filters, newest first, page after page of the
    search up to EXPORT_MAX (made small here)."""
    from helpline.search import service
    from helpline.search.tests.helpers import index

    monkeypatch.setattr(service, "MAX_PAGE_SIZE", 2)
    monkeypatch.setattr(service, "EXPORT_MAX", 3)
    mine = [world.open(f"Kettle {n}", body_html="<p>kettle</p>") for n in range(3)]
    sales = world.open("Sales kettle", topic=world.sales_topic, body_html="<p>kettle</p>")
    newest = world.open("Kettle 4", body_html="<p>kettle</p>")
    world.open("Toaster", body_html="<p>toaster</p>")
    index()
    signed_in(client, world.agent)  # Support only: four kettles, the cap three
    _, *rows = rows_of(client.get("/desk/reports/search/export.csv", {"q": "kettle"}))
    assert [row[0] for row in rows] == [newest.number, mine[2].number, mine[1].number]
    admin = Client()
    signed_in(admin, world.admin)
    _, *rows = rows_of(admin.get("/desk/reports/search/export.csv", {"q": "kettle"}))
    assert [row[0] for row in rows] == [newest.number, sales.number, mine[2].number]
    kept = {"q": "kettle", "department": str(world.sales.pk)}
    _, *rows = rows_of(admin.get("/desk/reports/search/export.csv", kept))
    assert [row[1] for row in rows] == ["Sales kettle"]


def test_a_search_csv_that_cannot_be_made_says_why(world: World, client: Client) -> None:
    signed_in(client, world.agent)
    for params, says in (
        ({"q": ""}, "Type a search first"),
        ({"q": "kettle colour:red"}, "Unknown filter"),
        ({"q": "kettle", "department": "sales"}, "filter must be the number"),
    ):
        response = client.get("/desk/reports/search/export.csv", params)
        assert response.status_code == 400, params
        assert says in response.content.decode(), params
