"""The OpenAPI schema, and a property-based run over it (schemathesis): random,
often malformed requests to every operation, none answered with a 5xx.

The schema is loaded at module level from the WSGI application (schemathesis'
pytest fixture loader breaks with pytest 9.2). Requests carry an administrator's
personal token, made by a fixture in the test's database, so every operation
gets past authentication and exercises its input handling and queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import check
from schemathesis.checks import not_a_server_error

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment
from helpline.wsgi import application

from .conftest import make_key, make_token

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Requests go through the real WSGI handler, which closes the database
    connection when a request ends; the test's transaction lives on it. Django's
    test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class Target:
    """A ticket with a file, for the operations that take a number."""

    number: str
    attachment_id: int
    headers: dict[str, str]


@pytest.fixture
def target(world: World, media: Any, keep_connection: None, settings: Any) -> Target:
    """An administrator's token, and a few tickets for the reads to find. No rate
    limits: they would turn generated requests into 429s before they are read."""
    settings.HELPLINE_API_RATE_PER_KEY = ""
    settings.HELPLINE_API_RATE_PER_ADDRESS = ""
    settings.HELPLINE_API_CREATE_RATE = ""
    upload = lifecycle.Upload("a.txt", "text/plain", b"x")
    ticket = world.open("Schema run", uploads=[upload])
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>hi</p>")
    world.open("Second", topic=world.sales_topic)
    attachment = Attachment.objects.get(entry__ticket=ticket)
    headers = {"Authorization": f"Bearer {make_token(world.admin)}"}
    return Target(ticket.number, attachment.pk, headers)


@check
def errors_are_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx or 5xx is `{detail, field}` JSON."""
    if response.status_code >= 400:
        types = [v for k, vs in response.headers.items() if k.lower() == "content-type" for v in vs]
        assert types and types[0].startswith("application/json"), types
        body = response.json()
        assert isinstance(body, dict) and {"detail", "field"} <= set(body), body
    return None


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
def test_no_request_makes_the_api_fail(case: Any, target: Target) -> None:
    """Random bodies and parameters, sent to a ticket that exists (a random number
    would only ever meet the 404), answered without a 5xx and with JSON errors."""
    if case.path_parameters and "number" in case.path_parameters:
        case.path_parameters["number"] = target.number
    if case.path_parameters and "attachment_id" in case.path_parameters:
        case.path_parameters["attachment_id"] = target.attachment_id
    case.call_and_validate(headers=target.headers, checks=[not_a_server_error, errors_are_json])


def test_the_schema_and_the_docs_are_served_at_their_paths(client: Any) -> None:
    openapi = client.get("/api/openapi.json")
    docs = client.get("/api/docs")

    assert openapi.status_code == 200
    assert docs.status_code == 200
    paths = set(openapi.json()["paths"])
    assert {
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/thread",
        "/api/v1/tickets/{number}/reply",
        "/api/v1/tickets/{number}/notes",
        "/api/v1/tickets/{number}/assign",
        "/api/v1/tickets/{number}/transfer",
        "/api/v1/tickets/{number}/status",
        "/api/v1/tickets/{number}/priority",
        "/api/v1/tickets/{number}/resolve",
        "/api/v1/tickets/{number}/close",
        "/api/v1/tickets/{number}/reopen",
        "/api/v1/customers",
        "/api/v1/topics",
    } <= paths
    schemes = openapi.json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


@given(
    subject=st.text(max_size=300),
    message=st.text(max_size=500),
    name=st.text(max_size=50),
    fmt=st.sampled_from(["text", "html"]),
    fields=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
def test_any_text_opens_a_ticket_or_is_refused_with_a_field(
    world: World,
    client: Client,
    subject: str,
    message: str,
    name: str,
    fmt: str,
    fields: dict[str, str],
) -> None:
    """The random requests above seldom name a real help topic; these always do,
    so any text reaches the lifecycle."""
    key = make_key(scopes=["tickets:create"], name="Property")
    payload = {
        "email": "prop@example.com",
        "name": name,
        "subject": subject,
        "message": message,
        "format": fmt,
        "topic_id": world.topic.pk,
        "fields": fields,
    }

    response = client.post(
        "/api/v1/tickets",
        json.dumps(payload),
        content_type="application/json",
        headers={"X-API-Key": key},
    )

    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert response.json()["field"] in {"subject", "message", "name", "fields"} or (
            response.json()["field"] or ""
        ).startswith("fields.")


def test_an_unknown_api_path_is_a_json_404(client: Any) -> None:
    response = client.get("/api/v1/nothing/here")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such endpoint.", "field": None}


def test_api_posts_need_no_csrf_token(world: World, media: Any) -> None:
    """Integrations have no session and no CSRF cookie; the key is the proof."""
    strict = Client(enforce_csrf_checks=True)
    key = make_key()
    ticket = {"email": "a@example.com", "subject": "s", "message": "m", "topic_id": world.topic.pk}

    rest = strict.post(
        "/api/v1/tickets",
        json.dumps(ticket),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    osticket = strict.post(
        "/api/tickets.json",
        json.dumps(ticket),
        content_type="application/x-www-form-urlencoded",
        headers={"X-API-Key": key},
    )

    assert (rest.status_code, osticket.status_code) == (201, 201)
