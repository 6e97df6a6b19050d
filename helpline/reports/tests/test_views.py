"""The desk's report page and its JSON: who sees which figures, what bad input
looks like, and that the page, its charts' JSON and the metrics agree.

The history is test_metrics.py's (1-3 December 2026, Europe/Berlin), whose
figures are checked by hand there; here they are only compared."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.reports import periods
from helpline.reports.metrics import DEFINITIONS, as_json, report
from helpline.reports.tests import test_metrics
from helpline.reports.tests.test_metrics import PERIOD, History

pytestmark = pytest.mark.django_db

# The hand-checked history of test_metrics.py, as a fixture here too.
history = test_metrics.history

RANGE = {"preset": "custom", "start": "2026-12-01", "end": "2026-12-03", "tz": "Europe/Berlin"}


def signed_in(client: Client, agent: Agent) -> Client:
    client.force_login(agent.user)
    return client


def embedded(page: str) -> dict[str, Any]:
    """The report JSON the page's charts draw from."""
    found = re.search(
        r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, "the page embeds no report data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_a_supervisor_sees_the_tickets_of_their_departments(
    history: History, client: Client
) -> None:
    sam = history.world.supervisor  # Support, and the Level II team
    response = signed_in(client, sam).get("/desk/reports/", {**RANGE, "group": "department"})
    assert response.status_code == 200
    expected = as_json(report(PERIOD, group="department", visible_to=sam))
    assert embedded(response.content.decode()) == expected
    assert [row["label"] for row in expected["rows"]] == ["Support"]
    rows = response.context["sections"][0]["rows"]
    assert [r["label"] for r in rows] == ["Support"]
    assert "Every ticket you can see" in response.content.decode()


def test_an_administrator_sees_every_department(history: History, client: Client) -> None:
    response = signed_in(client, history.world.admin).get(
        "/desk/reports/data", {**RANGE, "group": "department"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data == as_json(report(PERIOD, group="department"))
    assert sorted(row["label"] for row in data["rows"]) == ["Sales", "Support"]


def test_an_agent_sees_only_their_own_figures(history: History, client: Client) -> None:
    alice = history.alice
    signed_in(client, alice)
    page = client.get("/desk/reports/", RANGE)
    assert "Your own figures" in page.content.decode()
    mine = as_json(report(PERIOD, agent=alice))
    assert embedded(page.content.decode()) == mine
    assert client.get("/desk/reports/data", RANGE).json() == mine
    # Not the department's figures: Alice did not reopen anything.
    everything = as_json(report(PERIOD, visible_to=alice))
    assert mine["total"]["reopened"] == 0 and everything["total"]["reopened"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/desk/reports/",
        "/desk/reports/data",
        "/desk/reports/export.csv",
        "/desk/reports/queues/open/export.csv",
    ],
)
def test_customers_and_strangers_are_sent_to_the_desk_login(
    world: World, client: Client, path: str
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/desk/login/")
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    customer = client.get(path)
    assert customer.status_code == 302 and customer["Location"].startswith("/desk/login/")


def test_the_page_embeds_the_same_json_as_the_data_endpoint(
    history: History, client: Client
) -> None:
    signed_in(client, history.world.admin)
    for group in ("none", "agent", "topic"):
        params = {**RANGE, "group": group}
        page = client.get("/desk/reports/", params).content.decode()
        data = client.get("/desk/reports/data", params).json()
        assert embedded(page) == data == as_json(report(PERIOD, group=group))


def test_the_tables_show_every_row_and_the_total(history: History, client: Client) -> None:
    signed_in(client, history.world.admin)
    page = client.get("/desk/reports/", {**RANGE, "group": "department"})
    text = page.content.decode()
    volume = page.context["sections"][0]
    assert [r["label"] for r in volume["rows"]] == ["Sales", "Support"]
    total = report(PERIOD, group="department").total
    cells = {c["key"]: c for c in volume["total"]["cells"]}
    assert cells["opened"]["value"] == total.opened == 5
    assert cells["opened"]["text"] == "5"
    for key in ("table-volume", "table-times", "table-quality", "table-daily"):
        assert f'id="{key}"' in text
    times = {c["key"]: c["text"] for c in page.context["sections"][1]["total"]["cells"]}
    assert times["resolution_median"] == f"{total.resolution.median:.1f} h"


def test_each_figure_is_defined_on_the_page(history: History, client: Client) -> None:
    text = signed_in(client, history.world.admin).get("/desk/reports/", RANGE).content.decode()
    for key, definition in DEFINITIONS.items():
        assert html.escape(str(definition)) in text, key
        assert f'id="def-{key}"' in text
    # Headers carry their definition on hover and link to it.
    assert f'title="{html.escape(str(DEFINITIONS["opened"]))}"' in text
    assert 'href="#def-opened"' in text


@pytest.mark.parametrize(
    ("params", "message", "field"),
    [
        (
            {"preset": "custom", "start": "2026-12-05", "end": "2026-12-01"},
            "The end date (2026-12-01) is before the start date (2026-12-05).",
            "end",
        ),
        (
            {"preset": "custom", "start": "first of May", "end": "2026-12-01"},
            "The start date “first of May” is not a date; write it as YYYY-MM-DD.",
            "start",
        ),
        ({"preset": "fortnight"}, "Unknown period “fortnight”", "preset"),
        ({"group": "weather"}, "Unknown grouping “weather”", "group"),
        ({"tz": "Mars/Olympus"}, "“Mars/Olympus” is not a known time zone", "tz"),
        ({"tz": "../etc/passwd"}, "“../etc/passwd” is not a known time zone", "tz"),
        ({"tz": "zone.tab"}, "“zone.tab” is not a known time zone", "tz"),
        (
            {"preset": "custom", "start": "9999-12-31", "end": "9999-12-31", "tz": "Asia/Tokyo"},
            "The start date (9999-12-31) is outside the dates reports cover. "
            "Give a date between 2000-01-01 and 2099-12-31.",
            "start",
        ),
        (
            {"preset": "custom", "start": "0001-01-01", "end": "0001-01-01", "tz": "Asia/Tokyo"},
            "The start date (0001-01-01) is outside the dates reports cover.",
            "start",
        ),
        (
            {"preset": "custom", "start": "2099-12-01", "end": "9999-12-31"},
            "The end date (9999-12-31) is outside the dates reports cover.",
            "end",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(
    world: World, client: Client, params: dict[str, str], message: str, field: str
) -> None:
    signed_in(client, world.supervisor)
    page = client.get("/desk/reports/", params)
    assert page.status_code == 400
    text = page.content.decode()
    assert html.escape(message) in text
    assert 'role="alert"' in text
    for key in ("start", "end"):
        if key in params:
            assert f'name="{key}" value="{html.escape(params[key])}"' in text
    data = client.get("/desk/reports/data", params)
    assert data.status_code == 422
    assert message in data.json()["detail"] and data.json()["field"] == field
    assert client.get("/desk/reports/export.csv", params).status_code == 422
    assert client.get("/desk/reports/export.csv", {**params, "table": "daily"}).status_code == 422


@pytest.mark.parametrize(
    "path", ["/desk/reports/", "/desk/reports/data", "/desk/reports/export.csv"]
)
def test_a_fault_while_reading_the_period_is_a_bug_not_bad_input(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Only the periods' own refusals are answered 400/422; any other error is a
    bug and surfaces (a 500), instead of blaming the person who asked."""

    def broken(name: str) -> Any:
        raise ValueError("a bug, not the input")

    monkeypatch.setattr(periods, "zone", broken)
    signed_in(client, world.supervisor)
    with pytest.raises(ValueError, match="a bug, not the input"):
        client.get(path, {"tz": "Europe/Berlin"})


def test_nothing_given_means_the_last_seven_days(world: World, client: Client) -> None:
    data = signed_in(client, world.supervisor).get("/desk/reports/data").json()
    assert len(data["daily"]) == 7 and data["group"] == "none"
    thirty = client.get("/desk/reports/data", {"preset": "30d"}).json()
    assert len(thirty["daily"]) == 30


def test_the_periods_days_are_the_desks_unless_the_viewer_asks_for_theirs(
    world: World, client: Client, settings: Any
) -> None:
    """The desk's report zone decides the days (the rollups are kept in it), not the
    agent's own; `tz` asks for another zone (computed from the events)."""
    settings.REPORTS_TIME_ZONE = "Europe/Berlin"
    world.supervisor.timezone = "Pacific/Kiritimati"
    world.supervisor.save()
    data = signed_in(client, world.supervisor).get("/desk/reports/data").json()
    assert data["period"]["tz"] == "Europe/Berlin"
    asked = client.get("/desk/reports/data", {"tz": "Pacific/Kiritimati"}).json()
    assert asked["period"]["tz"] == "Pacific/Kiritimati"


def test_a_choice_made_on_the_page_answers_with_the_report_part_only(
    history: History, client: Client
) -> None:
    signed_in(client, history.world.admin)
    part = client.get("/desk/reports/", {**RANGE, "group": "team"}, headers={"HX-Request": "true"})
    text = part.content.decode()
    assert "<html" not in text and 'id="report-form"' not in text
    assert embedded(text) == as_json(report(PERIOD, group="team"))


def test_the_desk_links_to_the_reports(world: World, client: Client) -> None:
    text = signed_in(client, world.agent).get("/desk/").content.decode()
    assert 'href="/desk/reports/"' in text
    assert 'formaction="/desk/reports/queues/open/export.csv"' in text
    page = client.get("/desk/reports/").content.decode()
    assert 'href="/desk/reports/" aria-current="page"' in page


def test_the_page_costs_a_fixed_number_of_queries(
    history: History, client: Client, django_assert_max_num_queries: Any
) -> None:
    signed_in(client, history.world.supervisor)
    client.get("/desk/reports/", RANGE)  # warm the session
    with django_assert_max_num_queries(14):
        client.get("/desk/reports/", {**RANGE, "group": "agent"})


def test_the_date_pickers_offer_only_the_days_a_report_may_cover(
    world: World, client: Client
) -> None:
    text = signed_in(client, world.supervisor).get("/desk/reports/").content.decode()
    assert text.count('min="2000-01-01" max="2099-12-31"') == 2


def test_the_charts_words_come_translated_from_the_page(history: History, client: Client) -> None:
    """reports.js writes no English of its own: every word it shows is one the
    page hands it in `#report-text`, through gettext."""
    text = signed_in(client, history.world.admin).get("/desk/reports/", RANGE).content.decode()
    found = re.search(
        r'<script id="report-text" type="application/json">(.*?)</script>', text, re.S
    )
    assert found is not None
    words = json.loads(found.group(1))
    script = (Path(__file__).resolve().parents[1] / "static" / "reports" / "reports.js").read_text()
    used = set(re.findall(r'say\("([a-z_0-9]+)"', script))
    assert used and used <= set(words), used - set(words)
    assert words["median"] == "Median" and words["others"] == "Others ({n})"
    # No label, axis title or status text left as an English literal in the script.
    assert not re.search(r'(label|text|base\()\s*:?\s*"[A-Z%]', script)
    assert "Report updated" not in script
