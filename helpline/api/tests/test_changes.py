"""Changing tickets through the API: each action allowed and refused."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, EntryKind, Event, Priority, Source, Status, Ticket

from .conftest import Api, make_key


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_related("status", "assignee", "team", "priority").get(pk=ticket.pk)


def test_an_agent_replies_and_so_claims_the_ticket(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/reply", {"body": "Unplug it."})

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"id": world.agent.pk, "name": "Alice Agent"}
    assert response.json()["version"] == ticket.version + 1
    entry = Entry.objects.filter(ticket=ticket).latest("id")
    assert (entry.kind, entry.agent, entry.body, entry.source) == (
        EntryKind.REPLY,
        world.agent,
        "<p>Unplug it.</p>",
        Source.API,
    )


def test_a_reply_can_move_the_status_and_carry_files(
    world: World, agent_api: Api, ticket: Ticket, media: Path
) -> None:
    pending = world.status("Pending Customer Reply")
    files = [{"filename": "steps.txt", "data": base64.b64encode(b"1. unplug").decode()}]

    response = agent_api.post(
        f"/tickets/{ticket.number}/reply",
        {"body": "See file", "status_id": pending.pk, "attachments": files, "expected_version": 1},
    )

    assert response.json()["status"]["name"] == "Pending Customer Reply"
    entry = Entry.objects.filter(ticket=ticket).latest("id")
    assert [a.filename for a in entry.attachments.all()] == ["steps.txt"]


def test_a_reply_cannot_close_by_status(world: World, agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(
        f"/tickets/{ticket.number}/reply",
        {"body": "Bye", "status_id": world.status("Closed").pk},
    )

    assert (response.status_code, response.json()["field"]) == (422, "status_id")


def test_an_empty_reply_is_refused_with_the_field(agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(
        f"/tickets/{ticket.number}/reply", {"body": "<p> </p>", "format": "html"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "body"


def test_notes_are_internal_and_allowed_on_closed_tickets(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    lifecycle.close(ticket, actor=world.agent)

    response = agent_api.post(
        f"/tickets/{ticket.number}/notes", {"body": "<i>why</i>", "format": "html"}
    )

    assert response.status_code == 200
    note = Entry.objects.filter(ticket=ticket).latest("id")
    assert (note.kind, note.body) == (EntryKind.NOTE, "<i>why</i>")


def test_a_supervisor_assigns_to_an_agent_and_a_team(
    world: World, supervisor_api: Api, ticket: Ticket
) -> None:
    response = supervisor_api.post(
        f"/tickets/{ticket.number}/assign",
        {"agent_id": world.agent.pk, "team_id": world.team.pk, "reason": "Expert"},
    )

    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == world.agent.pk
    assert response.json()["team"] == {"id": world.team.pk, "name": "Level II"}


def test_an_agent_may_not_assign_to_others(world: World, agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/assign", {"agent_id": world.supervisor.pk})

    assert response.status_code == 403
    assert response.json()["detail"] == "You are not allowed to do that on this ticket."
    assert fresh(ticket).assignee is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "agent_id"), ({"agent_id": 99999}, "agent_id"), ({"team_id": 99999}, "team_id")],
)
def test_assigning_to_nobody_or_to_someone_unknown_is_a_422(
    supervisor_api: Api, ticket: Ticket, payload: dict[str, Any], field: str
) -> None:
    response = supervisor_api.post(f"/tickets/{ticket.number}/assign", payload)

    assert (response.status_code, response.json()["field"]) == (422, field)


def test_an_agent_claims_and_releases(world: World, agent_api: Api, ticket: Ticket) -> None:
    claimed = agent_api.post(f"/tickets/{ticket.number}/claim", {})
    released = agent_api.post(f"/tickets/{ticket.number}/release", {"reason": "Off today"})

    assert claimed.json()["assignee"]["id"] == world.agent.pk
    assert released.json()["assignee"] is None


def test_a_supervisor_transfers_to_another_department(
    world: World, ticket: Ticket, admin_api: Api
) -> None:
    response = admin_api.post(
        f"/tickets/{ticket.number}/transfer", {"department_id": world.sales.pk}
    )

    assert response.json()["department"]["name"] == "Sales"


def test_an_agent_may_not_transfer(world: World, agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(
        f"/tickets/{ticket.number}/transfer", {"department_id": world.sales.pk}
    )

    assert response.status_code == 403


def test_status_and_priority_change(world: World, agent_api: Api, ticket: Ticket) -> None:
    high = Priority.objects.get(name="High")

    status = agent_api.post(
        f"/tickets/{ticket.number}/status", {"status_id": world.status("On Hold").pk}
    )
    priority = agent_api.post(f"/tickets/{ticket.number}/priority", {"priority_id": high.pk})

    assert status.json()["status"]["name"] == "On Hold"
    assert priority.json()["priority"]["name"] == "High"


def test_a_closed_status_is_reached_by_resolve_or_close_not_by_status(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    response = agent_api.post(
        f"/tickets/{ticket.number}/status", {"status_id": world.status("Resolved").pk}
    )

    assert response.status_code == 422
    assert "use resolve or close" in response.json()["detail"]


def test_resolve_close_and_reopen(world: World, agent_api: Api, ticket: Ticket) -> None:
    resolved = agent_api.post(f"/tickets/{ticket.number}/resolve", {"explanation": "Fixed."})
    closed = agent_api.post(f"/tickets/{ticket.number}/close", {"reason": "Done"})
    reopened = agent_api.post(f"/tickets/{ticket.number}/reopen", {"reason": "Back again"})

    assert resolved.json()["status"]["name"] == "Resolved"
    assert resolved.json()["resolved_at"] is not None
    assert closed.json()["status"]["name"] == "Closed"
    assert reopened.json()["state"] == "open"
    assert reopened.json()["reopen_count"] == 1
    assert Entry.objects.filter(ticket=ticket, is_resolution=True).count() == 1


def test_resolving_needs_an_explanation(agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/resolve", {"explanation": "  "})

    assert (response.status_code, response.json()["field"]) == (422, "explanation")


def test_a_stale_version_is_a_409_with_the_current_version(
    world: World, agent_api: Api, ticket: Ticket
) -> None:
    lifecycle.claim(ticket, actor=world.supervisor)  # version 1 -> 2 behind our back
    events = Event.objects.count()

    response = agent_api.post(
        f"/tickets/{ticket.number}/close", {"reason": "Dup", "expected_version": 1}
    )

    assert response.status_code == 409
    assert response.json()["field"] == "expected_version"
    assert response.json()["current_version"] == 2
    assert "changed by someone else" in response.json()["detail"]
    assert Event.objects.count() == events
    assert fresh(ticket).state == "open"


def test_the_current_version_is_accepted(world: World, agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(
        f"/tickets/{ticket.number}/close", {"expected_version": ticket.version}
    )

    assert response.status_code == 200


def test_an_impossible_change_is_a_409_with_the_reason(agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/reopen", {})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only resolved or closed tickets can be reopened.",
        "field": None,
        "current_version": 1,
    }


ACTIONS = [
    ("reply", {"body": "hi"}),
    ("notes", {"body": "hi"}),
    ("assign", {"agent_id": 1}),
    ("claim", {}),
    ("release", {}),
    ("transfer", {"department_id": 1}),
    ("status", {"status_id": 1}),
    ("priority", {"priority_id": 1}),
    ("resolve", {"explanation": "x"}),
    ("close", {}),
    ("reopen", {}),
]


@pytest.mark.parametrize(("action", "payload"), ACTIONS)
def test_the_api_channel_cannot_change_tickets(
    world: World, channel: Api, ticket: Ticket, action: str, payload: dict[str, Any]
) -> None:
    response = channel.post(f"/tickets/{ticket.number}/{action}", payload)

    assert response.status_code == 403
    assert "not an agent" in response.json()["detail"]
    assert fresh(ticket).version == 1


@pytest.mark.parametrize(("action", "payload"), ACTIONS)
def test_an_agent_without_access_gets_404_for_every_change(
    world: World, sales_api: Api, ticket: Ticket, action: str, payload: dict[str, Any]
) -> None:
    response = sales_api.post(f"/tickets/{ticket.number}/{action}", payload)

    assert response.status_code == 404
    assert fresh(ticket).version == 1


@pytest.mark.parametrize(("action", "payload"), ACTIONS)
def test_a_key_without_the_write_scope_cannot_change(
    world: World, channel: Api, ticket: Ticket, action: str, payload: dict[str, Any]
) -> None:
    reader = channel.as_key(make_key(scopes=["tickets:read", "tickets:create"], agent=world.admin))

    response = reader.post(f"/tickets/{ticket.number}/{action}", payload)

    assert response.status_code == 403
    assert "tickets:write" in response.json()["detail"]


def test_a_key_acting_as_an_agent_changes_as_that_agent(
    world: World, channel: Api, ticket: Ticket
) -> None:
    bot = channel.as_key(make_key(agent=world.supervisor))

    response = bot.post(f"/tickets/{ticket.number}/assign", {"agent_id": world.agent.pk})

    assert response.status_code == 200
    assert Event.objects.filter(ticket=ticket).latest("id").agent == world.supervisor


def test_a_status_that_does_not_exist_is_a_422(agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/status", {"status_id": 12345})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "status_id: there is no status with id 12345.",
        "field": "status_id",
    }
    assert Status.objects.filter(pk=12345).count() == 0
