"""The reports page in a real Chromium: Mia Chen (supervisor of Support and IT
Operations) opens the reports, switches from the last 7 to the last 30 days and
from no grouping to departments, and watches the charts (Chart.js, drawn from the
page's report JSON) and the tables follow. Screenshots of the desktop and the
phone layout go to test-artifacts/reports/."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from helpline.accounts.models import Agent, Customer
from helpline.reports.metrics import as_json, report
from helpline.reports.periods import preset, zone
from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets import lifecycle
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.lifecycle.rating import rate
from helpline.tickets.models import Event, EventKind, HelpTopic, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"


def build_history() -> None:
    """A month of work in the demo world, through the lifecycle, ending yesterday:
    tickets opened on most days, answered and resolved hours later, a few
    reopened, some still open, some rated."""
    load_demo()
    agents = {a.user.username: a for a in Agent.objects.select_related("user")}
    john, mia = agents["john.doe"], agents["mia.chen"]
    ken = Customer.objects.get(email="ken@example.com")
    topics = {t.name: t for t in HelpTopic.objects.all()}
    choices: list[tuple[HelpTopic, Agent, dict[str, str]]] = [
        (topics["Personal Computer Issues"], john, {}),
        (topics["General Inquiry"], john, {}),
        (topics["Critical Business Issue"], mia, {"impact": "One department"}),
    ]
    rng = random.Random(7)
    today = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(42):
        days_ago = 1 + n % 27
        topic, agent, extra = choices[n % 3]
        start = today - timedelta(days=days_ago, hours=rng.randint(0, 6))

        def at(hours: float, start: Any = start) -> time_machine.travel:
            return time_machine.travel(start + timedelta(hours=hours), tick=False)

        with at(0):
            ticket = lifecycle.open_ticket(
                lifecycle.NewTicket(
                    customer=ken,
                    topic=topic,
                    subject=f"Request {n + 1}",
                    body_html="<p>Please help.</p>",
                    extra=extra,
                ),
                actor=ken,
            )
        reply_after = rng.choice([0.2, 0.5, 1, 2, 3, 6])
        with at(reply_after):
            ticket = lifecycle.reply(ticket, actor=agent, body_html="<p>Looking into it.</p>")
        if n % 5 == 4:
            continue  # still open
        resolve_after = reply_after + rng.choice([1, 2, 4, 8, 20, 30])
        with at(resolve_after):
            ticket = lifecycle.resolve(ticket, actor=agent, explanation_html="<p>Fixed.</p>")
        if n % 3 == 0:
            event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")
            with at(resolve_after + 1):
                rate(
                    ticket,
                    customer=ken,
                    resolution_event_id=event.pk,
                    score=["good", "good", "okay", "good", "bad"][n % 5],
                )
        if n % 7 == 3:
            with at(resolve_after + 5):
                ticket = lifecycle.customer_reply(ticket, actor=ken, body_html="<p>It is back.</p>")
            with at(resolve_after + 9):
                ticket = lifecycle.resolve(ticket, actor=agent, explanation_html="<p>Again.</p>")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def chart(page: Page, canvas: str) -> dict[str, Any]:
    """What the Chart.js chart on this canvas is drawing."""
    found: dict[str, Any] = page.evaluate(
        """id => {
          const chart = Chart.getChart(document.getElementById(id));
          if (!chart) return null;
          return {
            labels: chart.data.labels,
            datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data})),
            width: chart.width,
            height: chart.height,
          };
        }""",
        canvas,
    )
    assert found, f"no chart drawn on #{canvas}"
    return found


def charts_drawn(page: Page, days: int) -> None:
    page.wait_for_function(
        "n => window.Chart && Chart.getChart(document.getElementById('chart-daily'))"
        " && Chart.getChart(document.getElementById('chart-daily')).data.labels.length === n",
        arg=days,
    )


def row_labels(page: Page, table: str) -> list[str]:
    labels: list[str] = page.locator(f"#{table} tbody th[scope=row]").all_inner_texts()
    return labels


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_a_supervisor_changes_period_and_grouping_and_the_report_follows(
    live_server: Any, page: Page
) -> None:
    build_history()
    mia = Agent.objects.get(user__username="mia.chen")
    base = live_server.url

    page.goto(f"{base}/desk/login/")
    page.get_by_label("Username").fill("mia.chen")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Desk").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

    # The last 7 days, no grouping: one row, seven days.
    charts_drawn(page, 7)
    tz = page.evaluate("JSON.parse(document.getElementById('report-data').textContent).period.tz")
    today = timezone.localdate(timezone=zone(tz))  # the page's today: its zone's
    week = as_json(report(preset("7d", today=today, tz=tz), visible_to=mia))
    daily = chart(page, "chart-daily")
    assert [d["label"] for d in daily["datasets"]] == ["Opened", "Resolved"]
    assert daily["datasets"][0]["data"] == [d["opened"] for d in week["daily"]]
    assert chart(page, "chart-sla")["labels"] == ["All"]
    assert chart(page, "chart-backlog")["datasets"][0]["data"] == [
        b["open"] for b in week["backlog"]
    ]
    assert row_labels(page, "table-volume") == ["All"]
    week_opened = page.locator("#table-volume tbody td[data-key=opened]").inner_text()
    assert week_opened == str(week["total"]["opened"])
    assert_accessible_controls(page)

    # The last 30 days: thirty days in the charts and the per-day table, more tickets.
    page.get_by_label("Period", exact=True).select_option(label="Last 30 days")
    charts_drawn(page, 30)
    expect(page.locator("#table-daily tbody tr")).to_have_count(30)
    month = as_json(report(preset("30d", today=today, tz=tz), visible_to=mia))
    assert chart(page, "chart-daily")["datasets"][1]["data"] == [
        d["resolved"] for d in month["daily"]
    ]
    month_opened = page.locator("#table-volume tbody td[data-key=opened]").inner_text()
    assert month_opened == str(month["total"]["opened"]) and int(month_opened) > int(week_opened)
    assert page.get_by_label("From", exact=True).input_value() == month["period"]["start"]

    # By department: a row and a bar per department, and a total row.
    page.get_by_label("Group by").select_option(label="Department")
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('chart-sla')).data.labels.length === 2"
    )
    by_department = as_json(
        report(preset("30d", today=today, tz=tz), group="department", visible_to=mia)
    )
    labels = [r["label"] for r in by_department["rows"]]
    assert sorted(labels) == ["IT Operations", "Support"]
    assert chart(page, "chart-sla")["labels"] == labels
    assert chart(page, "chart-resolution")["labels"] == labels
    backlog = chart(page, "chart-backlog")
    assert [d["label"] for d in backlog["datasets"]] == [*labels, "Total"]
    assert row_labels(page, "table-volume") == labels
    assert row_labels(page, "table-quality") == labels
    expect(page.locator("#table-volume tfoot th")).to_have_text("Total")
    expect(page.locator("#report-title")).to_contain_text("by department")
    assert "preset=30d" in page.url and "group=department" in page.url
    assert_accessible_controls(page)
    shot(page, "reports-desktop")

    # The CSV download is the table on the page.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [*labels, "Total"]
    assert rows[-1][1] == month_opened

    # A reload shows the same report, drawn from the server's page alone.
    page.reload()
    charts_drawn(page, 30)
    assert chart(page, "chart-sla")["labels"] == labels
    expect(page.get_by_label("Group by")).to_have_value("department")

    # On a phone: one column, the charts fit, the tables scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('chart-daily')).width < 390"
    )
    assert chart(page, "chart-daily")["width"] <= 390
    shot(page, "reports-mobile")
    shot(page, "reports-mobile-top", full_page=False)
    page.locator("#table-volume").scroll_into_view_if_needed()
    shot(page, "reports-mobile-tables", full_page=False)
    # The report fits the screen; only the tables scroll sideways, in their frames.
    # (The desk's top bar is wider than 390 px on every desk page: not this page's.)
    fits = page.evaluate(
        "() => Array.from(document.querySelectorAll('.reports > *, .charts > *, .kpis'))"
        ".every(e => e.getBoundingClientRect().right <= 390)"
    )
    assert fits, "a part of the report is wider than the phone"
    wide = page.evaluate("document.querySelector('#table-times').scrollWidth")
    assert wide > 390 and page.locator("#table-times").bounding_box() is not None


def test_a_custom_range_and_a_mistake_in_it(live_server: Any, page: Page) -> None:
    load_demo()
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("mia.chen")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/reports/")
    charts_drawn(page, 7)

    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-01-10")
    expect(page.get_by_label("Period", exact=True)).to_have_value("custom")
    page.get_by_role("button", name="Show report").click()
    charts_drawn(page, 10)
    expect(page.get_by_role("heading", name="2026-01-01 to 2026-01-10")).to_be_visible()

    page.get_by_label("To", exact=True).fill("2025-12-01")
    page.get_by_role("button", name="Show report").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "The end date (2025-12-01) is before the start date (2026-01-01)."
    )
    expect(page.get_by_label("To", exact=True)).to_have_value("2025-12-01")
    assert_accessible_controls(page)


def test_a_queue_downloads_as_csv_with_its_filters(live_server: Any, page: Page) -> None:
    load_demo()
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("jane.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The filters act through htmx, which starts with the page's deferred scripts:
    # a change made before the page has loaded would go unheard.
    page.wait_for_url("**/desk/")
    page.wait_for_load_state("load")
    page.locator("#f-department").select_option(label="Support")
    support_open = Ticket.objects.filter(department__name="Support", state="open").count()
    assert support_open >= 2  # the demo's, however its generator was seeded
    expect(page.locator("#queue tbody tr[data-ticket]")).to_have_count(support_open)
    shown = page.locator("#queue tbody tr[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)"
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == shown
    assert {r[4] for r in rows[1:]} == {"Support"}
    assert Ticket.objects.count() == 3


def test_groups_beyond_the_colours_add_up_into_others_in_the_backlog_chart(
    live_server: Any, page: Page
) -> None:
    # Ten help topics with an open ticket each: eight colours, so seven topics get
    # a line of their own and the other three add up into "Others (3)".
    load_demo(with_tickets=False)
    ken = Customer.objects.get(email="ken@example.com")
    support = HelpTopic.objects.get(name="General Inquiry").department
    yesterday = timezone.now() - timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        for n in range(10):
            topic = HelpTopic.objects.create(name=f"Topic {n:02}", department=support)
            lifecycle.open_ticket(
                lifecycle.NewTicket(
                    customer=ken, topic=topic, subject=f"T{n}", body_html="<p>Hi</p>"
                ),
                actor=ken,
            )
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("Username").fill("jane.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/desk/reports/?preset=7d&group=topic")
    charts_drawn(page, 7)

    drawn = chart(page, "chart-backlog")
    labels = [d["label"] for d in drawn["datasets"]]
    assert len(labels) == 9 and labels[7] == "Others (3)" and labels[8] == "Total", labels
    per_group = [d["data"] for d in drawn["datasets"][:8]]
    total = drawn["datasets"][8]["data"]
    assert [sum(day) for day in zip(*per_group, strict=True)] == total
    assert total[-1] == 10
