"""Due dates stay inside the range of dates (helpline.lib.bounds), whatever the
channel, and a date stored before that rule cannot take a page down.

Before: `POST /api/v1/tickets/{n}/due` took 9999-12-31T23:59:59Z; afterwards
the ticket page answered 500 (OverflowError) to every agent east of UTC, and
the queue CSV stopped mid-file (a download that looks complete and is not)."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from helpline.api.tests.conftest import Api, make_token
from helpline.conftest import World
from helpline.lib import bounds
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

EDGE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
RANGE = "Give a date between 2000-01-01 and 2099-12-31."


def as_agent_in(client: Client, world: World, tz: str) -> Client:
    world.supervisor.timezone = tz
    world.supervisor.save()
    client.force_login(world.supervisor.user)
    return client


def post_due(client: Client, ticket: Ticket, typed: str, reason: str = "") -> Any:
    """The desk's due-date form, sent as typed."""
    return client.post(
        reverse("desk:action", args=[ticket.number, "due"]),
        {"version": ticket.version, "due_at": typed, "reason": reason},
    )


def store(ticket: Ticket, due: datetime) -> None:
    """A due date as the API stored it before the fix (no lifecycle check)."""
    Ticket.objects.filter(pk=ticket.pk).update(due_at=due, due_is_manual=True)


def csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "typed", ["9999-12-31T23:59", "0001-01-01T00:00", "1999-12-31T00:00", "2100-01-02T00:00"]
)
@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles", "UTC"])
def test_the_due_date_form_refuses_a_date_outside_the_range_and_keeps_what_was_typed(
    world: World, client: Client, typed: str, tz: str
) -> None:
    ticket = world.open()
    as_agent_in(client, world, tz)
    response = post_due(client, ticket, typed, reason="customer asked")
    assert response.status_code == 400
    text = response.content.decode()
    assert RANGE in text
    assert f'value="{typed}"' in text
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.due_at, fresh.due_is_manual, fresh.version) == (
        ticket.due_at,
        False,
        ticket.version,
    )


@pytest.mark.parametrize(
    ("tz", "earliest", "latest"),
    [
        ("UTC", "2000-01-01T00:00", "2099-12-31T23:59"),
        ("Asia/Tokyo", "2000-01-01T09:00", "2100-01-01T08:59"),
        # Pacific time in December is UTC-8: the last moment of 2099 in UTC is
        # 15:59 there, and the first of 2000 still 31 December 1999.
        ("America/Los_Angeles", "1999-12-31T16:00", "2099-12-31T15:59"),
        ("Asia/Kathmandu", "2000-01-01T05:45", "2100-01-01T05:44"),
    ],
)
def test_the_due_date_picker_offers_what_the_viewers_zone_allows(
    world: World, client: Client, tz: str, earliest: str, latest: str
) -> None:
    ticket = world.open()
    text = as_agent_in(client, world, tz).get(f"/desk/tickets/{ticket.number}/")
    assert f'min="{earliest}" max="{latest}"' in text.content.decode()


def test_a_due_time_past_the_range_only_in_utc_is_refused_saying_the_zones_limit(
    world: World, client: Client
) -> None:
    """2099-12-31 23:00 is inside the range of dates as typed in Los Angeles, but
    it is 2100-01-01 07:00 UTC: refused, with the last time that zone allows."""
    ticket = world.open()
    as_agent_in(client, world, "America/Los_Angeles")
    response = post_due(client, ticket, "2099-12-31T23:00", reason="far away")
    assert response.status_code == 400
    text = response.content.decode()
    assert RANGE in text
    assert (
        "In your time zone (America/Los_Angeles) that is 1999-12-31 16:00 to 2099-12-31 15:59."
        in text
    )
    assert 'value="2099-12-31T23:00"' in text
    assert 'value="far away"' in text
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.due_at, fresh.due_is_manual, fresh.version) == (
        ticket.due_at,
        False,
        ticket.version,
    )


def test_the_last_time_the_picker_offers_west_of_utc_is_stored_as_typed(
    world: World, client: Client
) -> None:
    """Not shifted: 15:59 on the last day, Pacific time, is 23:59 UTC. (The first
    time it offers is in the past, which a due date never is.)"""
    ticket = world.open()
    as_agent_in(client, world, "America/Los_Angeles")
    response = post_due(client, ticket, "2099-12-31T15:59")
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).due_at == datetime(2099, 12, 31, 23, 59, tzinfo=UTC)
    page = client.get(f"/desk/tickets/{ticket.number}/")
    assert page.status_code == 200


def test_a_time_that_does_not_exist_in_the_zone_is_a_form_error(
    world: World, client: Client
) -> None:
    """2:30 on the morning clocks sprang forward never happened in Los Angeles."""
    ticket = world.open()
    as_agent_in(client, world, "America/Los_Angeles")
    response = post_due(client, ticket, "2027-03-14T02:30")
    assert response.status_code == 400
    assert 'value="2027-03-14T02:30"' in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).due_at == ticket.due_at


def test_a_due_date_inside_the_range_is_still_set(world: World, client: Client) -> None:
    ticket = world.open()
    as_agent_in(client, world, "Asia/Tokyo")
    response = post_due(client, ticket, "2099-12-31T23:59")
    assert response.status_code == 302
    due = Ticket.objects.get(pk=ticket.pk).due_at
    assert due == datetime(2099, 12, 31, 14, 59, tzinfo=UTC)  # Tokyo is UTC+9
    assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 200


@pytest.mark.parametrize(
    "due",
    [EDGE, datetime(2100, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 12, tzinfo=UTC)],
)
def test_the_lifecycle_refuses_a_due_date_outside_the_range_for_every_channel(
    world: World, due: datetime
) -> None:
    ticket = world.open()
    with pytest.raises(lifecycle.Refused, match=RANGE):
        lifecycle.set_due(ticket, actor=world.supervisor, due_at=due)
    assert Ticket.objects.get(pk=ticket.pk).due_is_manual is False


def test_the_api_can_no_longer_store_the_date_that_took_the_ticket_page_down(
    world: World, client: Client
) -> None:
    ticket = world.open()
    api = Api(client, make_token(world.supervisor))
    answer = api.post(f"/tickets/{ticket.number}/due", {"due_at": "9999-12-31T23:59:59Z"})
    assert 400 <= answer.status_code < 500
    assert answer["Content-Type"].startswith("application/json") and answer.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).due_is_manual is False


def bring_into_range() -> None:
    migration = importlib.import_module("helpline.tickets.migrations.0011_due_dates_in_range")
    migration.forwards(apps, None)


def test_a_due_date_stored_before_the_fix_is_brought_into_range_and_every_page_shows_it(
    world: World, client: Client
) -> None:
    ticket = world.open()
    other = world.open("Fine one")
    store(ticket, EDGE)
    Ticket.objects.filter(pk=ticket.pk).update(sla_alarm_at=EDGE - timedelta(hours=1))
    kept = Ticket.objects.get(pk=other.pk).due_at
    bring_into_range()
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.due_at == bounds.LATEST and fresh.due_is_manual
    assert fresh.sla_alarm_at is not None and fresh.sla_alarm_at <= bounds.LATEST
    assert Ticket.objects.get(pk=other.pk).due_at == kept
    for tz in ("Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles"):
        as_agent_in(client, world, tz)
        page = client.get(f"/desk/tickets/{ticket.number}/")
        assert page.status_code == 200, tz
        assert client.get("/desk/", {"sort": "due"}).status_code == 200
        rows = csv_rows(client.get("/desk/reports/queues/open/export.csv", {"sort": "due"}))
        assert [row[0] for row in rows[1:]] == [other.number, ticket.number]


def test_the_queue_csv_never_stops_mid_file_on_a_time_it_cannot_move(
    world: World, client: Client
) -> None:
    """Even a stored time no time zone can hold is written (in UTC), so the file
    is whole: a stream that fails after its first bytes cannot say so any more."""
    first, second = world.open("First"), world.open("Second")
    store(first, EDGE)
    as_agent_in(client, world, "Asia/Tokyo")
    rows = csv_rows(client.get("/desk/reports/queues/open/export.csv", {"sort": "oldest"}))
    assert [row[0] for row in rows[1:]] == [first.number, second.number]
    assert rows[1][13] == "9999-12-31 23:59 UTC"
