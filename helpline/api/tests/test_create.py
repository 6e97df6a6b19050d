"""POST /api/v1/tickets: opening tickets through the REST API."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.tickets.models import (
    Collaborator,
    Entry,
    Event,
    EventKind,
    Priority,
    Source,
    Ticket,
    TopicField,
)

from .conftest import Api, make_key


def new(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "email": "Rita Ray <rita@example.net>",
        "subject": "Invoice missing",
        "message": "Where is my invoice?",
        "topic_id": world.topic.pk,
        **fields,
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_the_api_channel_opens_a_ticket_as_the_system_with_source_api(
    world: World, channel: Api
) -> None:
    response = channel.post("/tickets", new(world))

    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert body["subject"] == "Invoice missing"
    assert body["customer"]["email"] == "rita@example.net"
    assert body["department"] == {"id": world.support.pk, "name": "Support"}
    assert body["version"] == 1
    assert ticket.source == Source.API
    assert ticket.customer.name == "Rita Ray"
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert (created.agent, created.actor_name) == (None, "System")
    assert created.data["autorespond"] is True
    [entry] = Entry.objects.filter(ticket=ticket)
    assert entry.body == "<p>Where is my invoice?</p>"
    assert entry.customer == ticket.customer


def test_an_agent_token_opens_a_ticket_as_the_agent(world: World, agent_api: Api) -> None:
    response = agent_api.post("/tickets", new(world, source="phone"))

    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert created.agent == world.agent
    assert ticket.source == Source.PHONE


def test_an_agent_cannot_open_a_ticket_in_a_department_they_have_no_access_to(
    world: World, sales_api: Api
) -> None:
    response = sales_api.post("/tickets", new(world))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You have no access to the Support department.",
        "field": "topic_id",
    }
    assert not Ticket.objects.exists()


def test_html_is_sanitized_and_text_is_escaped(world: World, channel: Api) -> None:
    html = channel.post(
        "/tickets", new(world, message="<b>Bold</b><script>x()</script>", format="html")
    )
    text = channel.post("/tickets", new(world, message="<b>not bold</b>"))

    bodies = [Entry.objects.get(ticket__number=r.json()["number"]).body for r in (html, text)]
    assert bodies == ["<b>Bold</b>", "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"]


def test_attachments_arrive_as_base64_and_are_stored(
    world: World, channel: Api, media: Path
) -> None:
    files = [
        {"filename": "error.log", "content_type": "text/plain", "data": b64(b"boom\n")},
        {"filename": "C:\\shots\\screen.png", "data": b64(b"\x89PNG fake")},
    ]

    response = channel.post("/tickets", new(world, attachments=files))

    assert response.status_code == 201
    entry = Entry.objects.get(ticket__number=response.json()["number"])
    log, png = entry.attachments.order_by("id")
    assert (log.filename, log.file.read()) == ("error.log", b"boom\n")
    # The type comes from the name, never from the client.
    assert (png.filename, png.content_type, png.size) == ("screen.png", "image/png", 9)


@pytest.mark.parametrize(
    ("attachments", "field", "detail"),
    [
        ([{"filename": "a.txt", "data": "not base64!"}], "attachments.0.data", "not valid base64"),
        ([{"filename": "run.exe", "data": b64(b"MZ")}], "attachments.0", "type .exe"),
        ([{"filename": "a.txt", "data": b64(b"x" * 2048)}], "attachments.0", "the limit is"),
        ([{"filename": "a.txt", "data": b64(b"x")}] * 3, "attachments", "at most 2 files"),
    ],
)
def test_bad_attachments_are_refused_with_the_field(
    world: World,
    channel: Api,
    settings: Any,
    attachments: list[dict[str, str]],
    field: str,
    detail: str,
) -> None:
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1024
    settings.HELPLINE_MAX_ATTACHMENTS = 2

    response = channel.post("/tickets", new(world, attachments=attachments))

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert detail in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_answers_to_the_topics_questions_are_stored_and_checked(world: World, channel: Api) -> None:
    TopicField.objects.create(topic=world.topic, key="asset_tag", label="Asset", required=True)
    TopicField.objects.create(
        topic=world.topic, key="floor", label="Floor", kind=TopicField.Kind.NUMBER
    )

    missing = channel.post("/tickets", new(world, fields={"floor": "3"}))
    wrong = channel.post("/tickets", new(world, fields={"asset_tag": "A1", "floor": "third"}))
    right = channel.post(
        "/tickets", new(world, fields={"asset_tag": "A-17", "floor": "3", "other": "ignored"})
    )

    assert (missing.status_code, missing.json()["field"]) == (422, "fields.asset_tag")
    assert (wrong.status_code, wrong.json()["field"]) == (422, "fields.floor")
    assert right.status_code == 201
    assert right.json()["fields"] == {"asset_tag": "A-17", "floor": "3"}


def test_a_department_can_stand_in_for_a_topic_and_a_priority_can_be_chosen(
    world: World, channel: Api
) -> None:
    high = Priority.objects.get(name="High")

    response = channel.post(
        "/tickets",
        new(world, topic_id=None, department_id=world.sales.pk, priority_id=high.pk),
    )

    assert response.status_code == 201
    assert response.json()["department"]["name"] == "Sales"
    assert response.json()["priority"]["name"] == "High"
    assert response.json()["topic"] is None


def test_without_topic_or_department_the_keys_default_topic_is_used(
    world: World, channel: Api
) -> None:
    keyed = channel.as_key(make_key(default_topic=world.sales_topic))

    assert keyed.post("/tickets", new(world, topic_id=None)).json()["topic"]["name"] == "Pricing"
    refused = channel.post("/tickets", new(world, topic_id=None))
    assert (refused.status_code, refused.json()["field"]) == (422, "topic_id")


def test_autorespond_false_is_passed_to_the_lifecycle(world: World, channel: Api) -> None:
    number = channel.post("/tickets", new(world, autorespond=False)).json()["number"]

    created = Event.objects.get(ticket__number=number, kind=EventKind.CREATED)
    assert created.data["autorespond"] is False


def test_cc_addresses_follow_the_ticket(world: World, channel: Api) -> None:
    number = channel.post(
        "/tickets", new(world, cc=["Boss <boss@example.net>", "ken@example.com"])
    ).json()["number"]

    followers = Collaborator.objects.filter(ticket__number=number)
    assert sorted(f.customer.email for f in followers) == ["boss@example.net", "ken@example.com"]


def test_an_existing_customer_is_found_by_address_in_any_case(world: World, channel: Api) -> None:
    response = channel.post("/tickets", new(world, email="KEN@Example.com", name="Someone Else"))

    assert response.json()["customer"] == {
        "id": world.customer.pk,
        "name": "Ken Adams",
        "email": "ken@example.com",
    }
    assert Customer.objects.count() == 2  # Ken and the outsider: nobody new


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        ({"subject": None}, "subject", "subject: "),
        ({"subject": "   "}, "subject", "write a subject"),
        ({"message": " "}, "message", "write a message"),
        ({"email": "not an address"}, "email", "not a valid email address"),
        ({"email": None}, "email", "email: "),
        ({"topic_id": 999999}, "topic_id", "no help topic with id 999999"),
        ({"topic_id": 0}, "topic_id", "greater than or equal to 1"),
        ({"topic_id": 2**70}, "topic_id", "less than or equal to"),
        ({"priority_id": "high"}, "priority_id", "valid integer"),
        ({"department_id": 424242}, "department_id", "no department with id"),
        ({"subject": "a\x00b"}, "subject", "NUL"),
        ({"message": "\ud800"}, "message", "valid string"),
        ({"attachments": "file"}, "attachments", "valid list"),
        ({"fields": {"k": ["nested"]}}, "fields.k", "valid string"),
        ({"cc": ["nobody"]}, "cc.0", "not a valid email address"),
        ({"email": "x" * 300 + "@example.com"}, "email", "at most 254 characters"),
        ({"cc": ["a@example.com", "x" * 250 + "@example.com"]}, "cc.1", "at most 254 characters"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    world: World, channel: Api, change: dict[str, Any], field: str, detail: str
) -> None:
    payload = {k: v for k, v in {**new(world), **change}.items() if v is not None}

    response = channel.post("/tickets", payload)

    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert detail in response.json()["detail"]


def test_a_body_that_is_not_json_or_not_an_object_is_refused(channel: Api) -> None:
    broken = channel.post("/tickets", raw="{not json")
    listed = channel.post("/tickets", raw="[1, 2]")
    empty = channel.post("/tickets", raw="")

    assert (broken.status_code, broken.json()) == (
        400,
        {"detail": "The request body is not valid JSON.", "field": None},
    )
    assert listed.status_code == 422
    assert empty.status_code in (400, 422)
    assert "detail" in empty.json()


def test_unknown_fields_are_ignored(world: World, channel: Api) -> None:
    assert channel.post("/tickets", new(world, flavour="vanilla")).status_code == 201


def test_deeply_nested_json_is_refused_not_a_crash(world: World, channel: Api) -> None:
    response = channel.post("/tickets", raw='{"fields": ' + "[" * 100_000 + "]" * 100_000 + "}")

    # Valid JSON, past our bound on depth (helpline.api.inputs.check_json_shape).
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]


def test_the_ticket_carries_its_sla_clock(world: World, channel: Api) -> None:
    body = channel.post("/tickets", new(world)).json()

    ticket = Ticket.objects.get(number=body["number"])
    assert body["sla"] == {"id": world.sla.pk, "name": str(world.sla)}
    assert body["due_at"] is not None and ticket.due_at is not None
    assert body["first_response_due_at"] is None  # the Standard plan sets no such target
    assert (body["sla_paused"], body["escalation_level"]) == (False, 0)


def test_a_routing_rule_that_rejects_answers_422_with_its_reason(
    world: World, channel: Api
) -> None:
    from helpline.automation.models import Action, Condition, Kind, Rule

    rule = Rule.objects.create(name="No invoices here")
    Condition.objects.create(rule=rule, field="subject", operator="contains", value="invoice")
    Action.objects.create(rule=rule, kind=Kind.REJECT, value="Write to billing@example.com")

    response = channel.post("/tickets", new(world))

    assert response.status_code == 422
    assert response.json()["detail"] == "Write to billing@example.com"
    assert not Ticket.objects.exists()
