"""Bulk actions through the API: the desk's bulk operation, by number or by queue."""

from __future__ import annotations

from typing import Any

from helpline.bulk.models import BulkJob
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import State, Ticket

from .conftest import Api


def test_a_small_bulk_close_is_done_before_the_answer(world: World, supervisor_api: Api) -> None:
    first, second = world.open("One"), world.open("Two")
    second = lifecycle.close(second, actor=world.supervisor)

    answer = supervisor_api.post(
        "/bulk",
        {
            "action": "close",
            "reason": "Duplicates",
            "tickets": [first.number, f"{second.number}:{second.version}", "999999"],
        },
    )

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["state"], body["done"], body["refused"]) == ("done", 1, 1)
    assert body["summary"] == "1 closed; 1 refused"
    assert body["unknown"] == ["999999"]
    assert [r["outcome"] for r in body["results"]] == ["done", "refused"]
    assert Ticket.objects.get(pk=first.pk).state == State.CLOSED


def test_a_ticket_the_agent_cannot_see_is_unknown_not_refused(world: World, agent_api: Api) -> None:
    sales = world.open("Sales'", topic=world.sales_topic)

    answer = agent_api.post("/bulk", {"action": "close", "tickets": [sales.number]})

    assert answer.status_code == 422
    assert answer.json()["field"] == "tickets"
    assert Ticket.objects.get(pk=sales.pk).state == State.OPEN


def test_a_large_selection_is_queued_and_read_back_as_it_goes(
    world: World, supervisor_api: Api, settings: Any
) -> None:
    settings.HELPLINE_BULK_INLINE = 1
    tickets = [world.open(f"Printer {i}") for i in range(3)]

    answer = supervisor_api.post(
        "/bulk", {"action": "priority", "priority": tickets[0].priority_id, "queue": "open"}
    )

    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert (body["state"], body["total"], body["results"]) == ("pending", 3, [])
    assert body["url"] == f"/api/v1/bulk/{body['id']}"
    from helpline.bulk import runner

    runner.run(body["id"], seconds=None)
    read = supervisor_api.get(f"/bulk/{body['id']}").json()
    assert read["state"] == "done" and len(read["results"]) == 3


def test_bad_input_is_a_422_naming_the_field(world: World, supervisor_api: Api) -> None:
    ticket = world.open()
    cases = [
        ({"action": "explode", "tickets": [ticket.number]}, "action"),
        ({"action": "assign", "tickets": [ticket.number]}, "agent"),
        ({"action": "close", "tickets": ["not a number!"]}, "tickets"),
        ({"action": "close", "tickets": [f"{ticket.number}:x"]}, "tickets"),
        ({"action": "close", "queue": "nope"}, "queue"),
        ({"action": "close", "queue": "open", "tickets": [ticket.number]}, "queue"),
    ]
    for body, field in cases:
        answer = supervisor_api.post("/bulk", body)
        assert answer.status_code == 422, (body, answer.content)
        assert answer.json()["field"] == field, body
    assert not BulkJob.objects.exists()


def test_a_job_is_read_only_by_its_agent(world: World, supervisor_api: Api, admin_api: Api) -> None:
    ticket = world.open()
    job = supervisor_api.post("/bulk", {"action": "close", "tickets": [ticket.number]}).json()

    assert admin_api.get(f"/bulk/{job['id']}").status_code == 404
    assert supervisor_api.get("/bulk/99999999999999999999").status_code in (404, 422)
