"""GET /api/v1/reports: the report page's JSON for tokens and keys, with the same
parameters and the same limits on whose figures."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from django.test import Client

from helpline.api.routers.reports import Group, Preset
from helpline.api.tests.conftest import Api, make_key, make_token
from helpline.conftest import World
from helpline.reports.metrics import GROUPS, as_json, report
from helpline.reports.periods import PRESETS
from helpline.reports.tests import test_metrics
from helpline.reports.tests.test_metrics import PERIOD, History

pytestmark = pytest.mark.django_db

# The hand-checked history of test_metrics.py, as a fixture here too.
history = test_metrics.history

RANGE = {"preset": "custom", "start": "2026-12-01", "end": "2026-12-03", "tz": "Europe/Berlin"}


def test_a_supervisors_token_gets_the_json_of_their_report_page(
    history: History, client: Client
) -> None:
    sam = history.world.supervisor
    api = Api(client, make_token(sam))
    for group in ("none", "department", "agent"):
        params = {**RANGE, "group": group}
        answer = api.get("/reports", **params)
        assert answer.status_code == 200
        client.force_login(sam.user)
        page = client.get("/desk/reports/data", params).json()
        client.logout()
        assert answer.json() == page == as_json(report(PERIOD, group=group, visible_to=sam))


def test_an_agents_token_gets_only_their_own_figures(history: History, client: Client) -> None:
    api = Api(client, make_token(history.alice))
    answer = api.get("/reports", **RANGE, group="department")
    assert answer.json() == as_json(report(PERIOD, group="department", agent=history.alice))
    assert answer.json()["total"]["reopened"] == 0


def test_a_key_without_the_reports_scope_is_refused(history: History, client: Client) -> None:
    api = Api(client, make_key(scopes=["tickets:read", "tickets:create", "tickets:write"]))
    answer = api.get("/reports", **RANGE)
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "This API key does not have the reports:read scope.",
        "field": None,
    }
    as_agent = Api(client, make_key(scopes=["tickets:read"], agent=history.world.admin))
    assert as_agent.get("/reports", **RANGE).status_code == 403


def test_a_key_with_the_scope_reads_every_ticket(history: History, client: Client) -> None:
    for scopes in (["reports:read"], ["admin"]):
        api = Api(client, make_key(scopes=scopes))
        answer = api.get("/reports", **RANGE, group="department")
        assert answer.status_code == 200
        assert answer.json() == as_json(report(PERIOD, group="department"))


def test_a_key_acting_as_an_agent_sees_what_the_agent_sees(
    history: History, client: Client
) -> None:
    bob = history.bob  # Sales, an agent: his own figures
    api = Api(client, make_key(scopes=["reports:read"], agent=bob))
    answer = api.get("/reports", **RANGE)
    assert answer.json() == as_json(report(PERIOD, agent=bob))


def test_no_key_no_report(world: World, client: Client) -> None:
    answer = Api(client).get("/reports")
    assert answer.status_code == 401


def test_the_defaults_are_the_last_seven_days_in_the_desks_report_zone(
    world: World, client: Client, settings: Any
) -> None:
    # The desk's days, which the daily rollups are kept in, whatever the agent's
    # own zone; an agent may still ask for theirs with `tz`.
    settings.REPORTS_TIME_ZONE = "America/New_York"
    world.supervisor.timezone = "Asia/Tokyo"
    world.supervisor.save()
    api = Api(client, make_token(world.supervisor))
    data = api.get("/reports").json()
    assert data["period"]["tz"] == "America/New_York" and len(data["daily"]) == 7
    assert data["group"] == "none"
    assert api.get("/reports?tz=Asia/Tokyo").json()["period"]["tz"] == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("params", "field", "detail"),
    [
        ({"group": "weather"}, "group", "group: Input should be"),
        ({"preset": "fortnight"}, "preset", "preset: Input should be"),
        ({"preset": "custom", "start": "yesterday", "end": "2026-12-01"}, "start", "start: "),
        ({"preset": "custom", "start": "2026-12-01"}, "end", "Give both a start and an end date"),
        (
            {"preset": "custom", "start": "2026-12-05", "end": "2026-12-01"},
            "end",
            "The end date (2026-12-01) is before the start date (2026-12-05).",
        ),
        (
            {"preset": "custom", "start": "2025-01-01", "end": "2026-12-01"},
            "end",
            "A report covers at most 366 days",
        ),
        ({"tz": "Mars/Olympus"}, "tz", "“Mars/Olympus” is not a known time zone"),
        (
            {"preset": "custom", "start": "9999-12-31", "end": "9999-12-31", "tz": "Asia/Tokyo"},
            "start",
            "Give a date between 2000-01-01 and 2099-12-31.",  # the API's own date check
        ),
        (
            {"preset": "custom", "start": "0001-01-01", "end": "0001-01-01", "tz": "Asia/Tokyo"},
            "start",
            "Give a date between 2000-01-01 and 2099-12-31.",
        ),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(
    world: World, client: Client, params: dict[str, Any], field: str, detail: str
) -> None:
    answer = Api(client, make_token(world.admin)).get("/reports", **params)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert detail in answer.json()["detail"]


def test_the_typed_choices_are_the_reports_own() -> None:
    assert set(get_args(Group)) == set(GROUPS)
    assert set(get_args(Preset)) == {*PRESETS, "custom"}


def test_the_endpoint_is_in_the_schema(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/reports"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"preset", "start", "end", "group", "tz"}
