"""Every date a client sends is inside helpline.lib.bounds' range (2000-01-01 to
2099-12-31), or refused with a 422 that names the field: due dates, list filters,
list cursors, help-topic answers, report periods.

`POST /tickets/{n}/due` once took 9999-12-31T23:59:59Z; from then on the ticket
page answered 500 to every agent east of UTC. A list cursor holding year 1 at
+14:00 made the list a 500 (it overflows when moved to UTC for the query)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.conftest import World
from helpline.reports import exports
from helpline.tickets.models import Ticket, TopicField

from .conftest import Api, make_key
from .osticket import post

RANGE = "between 2000-01-01 and 2099-12-31"
OUT_OF_RANGE = [
    "9999-12-31T23:59:59Z",  # year 10000 in Tokyo
    "9999-12-31T23:00:00-14:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "2100-01-01T00:00:00Z",
    "1999-12-31T12:00:00Z",
]


def refused(response: Any, field: str) -> bool:
    body = response.json()
    return response.status_code == 422 and body["field"] == field and RANGE in body["detail"]


def cursor(*items: object) -> str:
    """A list cursor as a client could forge one: URL-safe base64 of a JSON array."""
    return base64.urlsafe_b64encode(json.dumps(list(items)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("due_at", OUT_OF_RANGE)
def test_a_due_date_outside_the_range_is_a_422_naming_due_at(
    supervisor_api: Api, ticket: Ticket, due_at: str
) -> None:
    response = supervisor_api.post(f"/tickets/{ticket.number}/due", {"due_at": due_at})

    assert refused(response, "due_at"), response.content
    assert not Ticket.objects.get(pk=ticket.pk).due_is_manual


def test_a_due_date_inside_the_range_is_still_taken(supervisor_api: Api, ticket: Ticket) -> None:
    due = (timezone.now() + timedelta(days=400)).replace(microsecond=0)

    response = supervisor_api.post(f"/tickets/{ticket.number}/due", {"due_at": due.isoformat()})

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("since", OUT_OF_RANGE)
def test_an_updated_since_filter_outside_the_range_is_a_422(channel: Api, since: str) -> None:
    assert refused(channel.get("/tickets", updated_since=since), "updated_since")


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00"],
)
def test_a_forged_cursor_at_the_edge_of_time_is_a_422_not_a_500(
    channel: Api, ticket: Ticket, stamp: str
) -> None:
    response = channel.get("/tickets", cursor=cursor(stamp, 1))

    assert response.status_code == 422, response.content
    assert response.json()["field"] == "cursor"


def test_a_real_cursor_still_pages(world: World, channel: Api) -> None:
    for n in range(3):
        world.open(f"Ticket {n}")

    first = channel.get("/tickets", limit=2).json()
    second = channel.get("/tickets", limit=2, cursor=first["next_cursor"])

    assert second.status_code == 200
    assert len(second.json()["items"]) == 1


@pytest.fixture
def dated_topic(world: World) -> TopicField:
    return TopicField.objects.create(
        topic=world.topic, key="bought", label="Bought on", kind=TopicField.Kind.DATE
    )


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2100-01-01"])
def test_a_help_topic_date_outside_the_range_is_a_422_naming_the_question(
    world: World, channel: Api, dated_topic: TopicField, day: str
) -> None:
    response = channel.post(
        "/tickets",
        {
            "email": "a@example.com",
            "subject": "S",
            "message": "M",
            "topic_id": world.topic.pk,
            "fields": {"bought": day},
        },
    )

    assert refused(response, "fields.bought"), response.content


def test_the_osticket_endpoint_refuses_such_a_date_as_a_400(
    world: World, client: Client, dated_topic: TopicField
) -> None:
    body = json.dumps(
        {"email": "a@example.com", "subject": "S", "message": "M", "bought": "9999-12-31"}
    )

    response = post(client, "/api/tickets.json", body, make_key(default_topic=world.topic))

    assert response.status_code == 400
    assert RANGE in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"preset": "custom", "start": "9999-12-31", "end": "9999-12-31", "tz": "Asia/Tokyo"},
        {"preset": "custom", "start": "0001-01-01", "end": "0001-01-01", "tz": "Asia/Tokyo"},
        {"preset": "custom", "start": "9999-12-31", "tz": "Asia/Tokyo"},
        {"start": "0001-01-01", "end": "0001-01-02", "tz": "Pacific/Kiritimati"},
        {"preset": "custom", "start": "2099-12-31", "end": "2099-12-31", "tz": "Pacific/Apia"},
    ],
)
def test_a_report_period_at_the_edge_of_time_is_a_json_4xx(
    admin_api: Api, params: dict[str, str]
) -> None:
    response = admin_api.get("/reports", **params)

    assert response.status_code in (200, 422), response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 422:
        assert response.json()["field"] in {"start", "end", "preset"}


@pytest.mark.parametrize("error", [OverflowError("date value out of range"), ValueError("bad")])
def test_a_fault_inside_the_reports_is_a_json_500_not_the_clients_422(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """The reports module bounds its own periods (its refusals are the 422s above);
    anything else it raises is a bug, and must not be blamed on a good period."""

    def fail(*args: object, **kwargs: object) -> Any:
        raise error

    monkeypatch.setattr(exports, "run", fail)

    response = admin_api.get("/reports", preset="custom", start="2026-01-01", end="2026-01-31")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["field"] is None
