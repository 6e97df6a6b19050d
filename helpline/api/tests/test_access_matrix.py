"""The access matrix of the API: every route under /api/ x every kind of credential,
each answer checked against the table below, written by hand from the rules in
helpline.api.auth (not computed from the code it checks).

The credentials (the table's columns, in this order):

    none                no credential at all
    key:*               an API key without an agent (the API channel) with ONE scope:
                        create, read, write, reports, admin
    as-agent:*          an API key with one scope that acts as Alice (agent, Support)
    token:agent         Alice's personal token (agent in Support)
    token:supervisor    Sam's personal token (supervisor in Support)
    token:admin         Ada's personal token (administrator)
    token:sales         Bob's personal token (agent in Sales only: the ticket is in
                        Support, so for him it does not exist)

Every ticket route is called on a Support ticket. Each call runs in a savepoint that
is rolled back, so every cell starts from the same state; the rate limits are
generous (`limits`), so that no cell's answer depends on the calls before it (the
failed ones included: they fill their own bucket, helpline.api.throttles).

A route that is in the URL configuration (or in the OpenAPI schema) but not in the
table fails the test: a new endpoint cannot ship without its row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from ninja import NinjaAPI
from ninja.testing import TestClient

from helpline.accounts.models import Department, DepartmentAccess
from helpline.api import urls as api_urls
from helpline.api.models import Scope
from helpline.api.rest import api
from helpline.api.security import (
    DENY,
    UNDECLARED,
    BearerKey,
    HeaderKey,
    check_declared_access,
    keys,
    undeclared,
)
from helpline.bulk.models import BulkJob
from helpline.conftest import World
from helpline.sla.models import EscalationLevel, EscalationPolicy, SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Priority, Status, Ticket

from .conftest import make_key, make_token

SCOPES = {
    "create": Scope.CREATE,
    "read": Scope.READ,
    "write": Scope.WRITE,
    "reports": Scope.REPORTS,
    "admin": Scope.ADMIN,
}
COLUMNS = (
    ["none"]
    + [f"key:{s}" for s in SCOPES]
    + [f"as-agent:{s}" for s in SCOPES]
    + ["token:agent", "token:supervisor", "token:admin", "token:sales"]
)

# Read across: none | key: create read write reports admin | as-agent: create read
# write reports admin | token: agent supervisor admin sales.
R_READ = "401 | 403 200 403 403 200 | 403 200 403 403 200 | 200 200 200 404"
R_LIST = "401 | 403 200 403 403 200 | 403 200 403 403 200 | 200 200 200 200"
R_LOOKUP = "401 | 200 200 403 403 200 | 200 200 403 403 200 | 200 200 200 200"
R_CUSTOMER = "401 | 403 200 403 403 200 | 403 200 403 403 200 | 200 200 200 200"
R_REPORTS = "401 | 403 403 403 200 200 | 403 403 403 200 200 | 200 200 200 200"
# Bob may not open tickets in Support (403, not 404: the topic is public knowledge).
R_CREATE = "401 | 201 403 403 403 201 | 201 403 403 403 201 | 201 201 201 403"
# Changes: the API channel is nobody, so no key without an agent may change a
# ticket, whatever its scopes; an agent may do what their role allows.
R_AGENT_WORK = "401 | 403 403 403 403 403 | 403 403 200 403 200 | 200 200 200 404"
R_SUPERVISOR_WORK = "401 | 403 403 403 403 403 | 403 403 403 403 403 | 403 200 200 404"
# The osTicket endpoints answer as osTicket does: 401 for any key that may not
# create tickets. tickets.email hands the raw mail to intake, which files it by its
# help topic rules, not as the caller; so Bob's token opens a ticket there too.
R_OST = "401 | 201 401 401 401 201 | 201 401 401 401 201 | 201 201 201 403"
R_OST_EMAIL = "401 | 201 401 401 401 201 | 201 401 401 401 201 | 201 201 201 201"
R_PUBLIC = "200 | 200 200 200 200 200 | 200 200 200 200 200 | 200 200 200 200"

# REST operations, by (method, path in the OpenAPI schema).
REST: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/tickets"): R_CREATE,
    ("GET", "/api/v1/tickets"): R_LIST,
    ("GET", "/api/v1/tickets/{number}"): R_READ,
    ("GET", "/api/v1/tickets/{number}/thread"): R_READ,
    ("GET", "/api/v1/tickets/{number}/attachments/{attachment_id}"): R_READ,
    ("POST", "/api/v1/tickets/{number}/reply"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/notes"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/assign"): R_SUPERVISOR_WORK,
    ("POST", "/api/v1/tickets/{number}/claim"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/release"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/transfer"): R_SUPERVISOR_WORK,
    ("POST", "/api/v1/tickets/{number}/status"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/priority"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/resolve"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/close"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/reopen"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/escalate"): R_AGENT_WORK,
    ("POST", "/api/v1/tickets/{number}/due"): R_SUPERVISOR_WORK,
    ("POST", "/api/v1/tickets/{number}/sla-plan"): R_SUPERVISOR_WORK,
    ("GET", "/api/v1/customers"): R_CUSTOMER,
    ("GET", "/api/v1/search"): R_LIST,
    # Bulk actions act as an agent (a note on Ken's ticket: any agent of Support
    # may); Bob names a ticket he cannot see, which is no ticket to him (422). A
    # job is read by its agent alone (Alice's here).
    ("POST", "/api/v1/bulk"): "401 | 403 403 403 403 403 | 403 403 200 403 200 | 200 200 200 422",
    ("GET", "/api/v1/bulk/{job_id}"): (
        "401 | 403 403 403 403 403 | 403 403 200 403 200 | 200 404 404 404"
    ),
    ("GET", "/api/v1/topics"): R_LOOKUP,
    ("GET", "/api/v1/statuses"): R_LOOKUP,
    ("GET", "/api/v1/priorities"): R_LOOKUP,
    ("GET", "/api/v1/departments"): R_LOOKUP,
    ("GET", "/api/v1/reports"): R_REPORTS,
}

# Everything else under /api/, by URL pattern (as written in the URL configuration)
# and the concrete requests that exercise it.
OTHER: dict[str, dict[tuple[str, str], str]] = {
    r"^(?:http\.php/)?tickets\.(?P<fmt>json|xml|email)$": {
        ("POST", "/api/tickets.json"): R_OST,
        ("POST", "/api/http.php/tickets.json"): R_OST,
        ("POST", "/api/tickets.xml"): R_OST,
        ("POST", "/api/http.php/tickets.xml"): R_OST,
        ("POST", "/api/tickets.email"): R_OST_EMAIL,
        ("POST", "/api/http.php/tickets.email"): R_OST_EMAIL,
    },
    "openapi.json": {("GET", "/api/openapi.json"): R_PUBLIC},
    "docs": {("GET", "/api/docs"): R_PUBLIC},
}
# Patterns that only ever answer 404 (JSON): ninja's root and the catch-all.
NOT_FOUND_PATTERNS = {"", r"^(?P<rest>[\s\S]*)$"}


def expected(row: str) -> dict[str, int]:
    codes = [int(code) for code in row.replace("|", " ").split()]
    assert len(codes) == len(COLUMNS), row
    return dict(zip(COLUMNS, codes, strict=True))


# --- the world the calls are made in ---------------------------------------------


@dataclass
class Stage:
    """The tickets and ids the requests refer to."""

    open: Ticket  # unassigned, in Support, with a file on the customer's message
    assigned: Ticket  # assigned to Alice
    closed: Ticket
    attachment: Attachment
    world: World
    billing: Department  # Sam (supervisor) has access there too
    fast: SLAPlan


@pytest.fixture
def stage(world: World, media: Path, limits: Any) -> Stage:
    upload = lifecycle.Upload("photo.txt", "text/plain", b"smoke")
    first = world.open("Printer on fire", uploads=[upload])
    assigned = world.open("Scanner jammed")
    lifecycle.assign(assigned, actor=world.admin, agent=world.agent)
    closed = world.open("Old one")
    lifecycle.close(closed, actor=world.admin)
    billing = Department.objects.create(name="Billing")
    DepartmentAccess.objects.create(agent=world.supervisor, department=billing)
    policy = EscalationPolicy.objects.create(name="Printers")
    EscalationLevel.objects.create(policy=policy, order=1, name="Level II", assign_team=world.team)
    world.sla.escalation_policy = policy
    world.sla.save()
    return Stage(
        open=first,
        assigned=assigned,
        closed=closed,
        attachment=Attachment.objects.get(entry__ticket=first),
        world=world,
        billing=billing,
        fast=SLAPlan.objects.create(name="Fast", resolution_hours=2),
    )


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | str | bytes | None = None
    params: dict[str, str] | None = None
    content_type: str = "application/json"


def rest_call(stage: Stage, method: str, route: str) -> Call:
    """A request to the route that an allowed caller makes successfully."""
    w = stage.world
    number = stage.open.number
    later = (timezone.now() + timedelta(days=3)).replace(microsecond=0).isoformat()
    waiting = Status.objects.filter(state="open").exclude(pk=stage.open.status_id).first()
    assert waiting is not None
    urgent = Priority.objects.exclude(pk=stage.open.priority_id).first()
    assert urgent is not None
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "reply": (number, {"body": "We are on it."}),
        "notes": (number, {"body": "Checked the fuse."}),
        "assign": (number, {"team_id": w.team.pk}),
        "claim": (number, {}),
        "release": (stage.assigned.number, {}),
        "transfer": (number, {"department_id": stage.billing.pk}),
        "status": (number, {"status_id": waiting.pk}),
        "priority": (number, {"priority_id": urgent.pk}),
        "resolve": (number, {"explanation": "Replaced the fuse."}),
        "close": (number, {}),
        "reopen": (stage.closed.number, {}),
        "escalate": (number, {"reason": "Floor down"}),
        "due": (number, {"due_at": later}),
        "sla-plan": (number, {"sla_plan_id": stage.fast.pk}),
    }
    path = route.replace("{attachment_id}", str(stage.attachment.pk))
    action = route.rsplit("/", 1)[1]
    if route == "/api/v1/bulk":
        return Call("POST", route, {"action": "note", "text": "Seen", "tickets": [number]})
    if route == "/api/v1/bulk/{job_id}":
        job, _new = BulkJob.objects.get_or_create(
            agent=w.agent, action="close", defaults={"created_at": timezone.now()}
        )
        return Call("GET", route.replace("{job_id}", str(job.pk)))
    if method == "POST" and route == "/api/v1/tickets":
        body = {
            "email": "new@example.com",
            "subject": "Through the API",
            "message": "Hello",
            "topic_id": w.topic.pk,
        }
        return Call("POST", route, body)
    if method == "POST":
        target, body = bodies[action]
        return Call("POST", path.replace("{number}", target), body)
    params = {"email": w.customer.email} if route == "/api/v1/customers" else None
    if route == "/api/v1/search":
        params = {"q": number}
    return Call("GET", path.replace("{number}", number), params=params)


RAW_MAIL = (
    b"From: Ken Adams <ken@example.com>\r\nTo: help@example.com\r\n"
    b"Subject: Mailed in\r\nMessage-ID: <matrix-%d@example.com>\r\n\r\nHello\r\n"
)


def other_call(stage: Stage, method: str, path: str, seq: int) -> Call:
    topic = stage.world.topic.pk
    if path.endswith("tickets.json"):
        body = json.dumps(
            {"email": "a@example.com", "subject": "S", "message": "M", "topicId": topic}
        )
        return Call(method, path, body, content_type="application/json")
    if path.endswith("tickets.xml"):
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><ticket><email>a@example.com</email>'
            f"<subject>S</subject><message>M</message><topicId>{topic}</topicId></ticket>"
        )
        return Call(method, path, xml, content_type="application/xml")
    if path.endswith("tickets.email"):
        return Call(method, path, RAW_MAIL % seq, content_type="message/rfc822")
    return Call(method, path)


# --- the credentials ---------------------------------------------------------------


def credentials(stage: Stage) -> dict[str, str]:
    w = stage.world
    secrets = {"none": ""}
    for name, scope in SCOPES.items():
        secrets[f"key:{name}"] = make_key(scopes=[scope], name=f"channel {name}")
    for name, scope in SCOPES.items():
        secrets[f"as-agent:{name}"] = make_key(scopes=[scope], agent=w.agent, name=f"as {name}")
    secrets["token:agent"] = make_token(w.agent)
    secrets["token:supervisor"] = make_token(w.supervisor)
    secrets["token:admin"] = make_token(w.admin)
    secrets["token:sales"] = make_token(w.other_agent)
    assert list(secrets) == COLUMNS
    return secrets


def send(client: Client, call: Call, secret: str, header: str) -> Any:
    """The request, in a savepoint that is rolled back afterwards."""
    headers = {}
    if secret:
        headers = (
            {"X-API-Key": secret}
            if header == "x-api-key"
            else {"Authorization": f"Bearer {secret}"}
        )
    with transaction.atomic():
        if call.method == "GET":
            response = client.get(call.path, call.params or {}, headers=headers)
        else:
            data = call.body if isinstance(call.body, str | bytes) else json.dumps(call.body or {})
            response = client.post(call.path, data, content_type=call.content_type, headers=headers)
        transaction.set_rollback(True)
    return response


def walk(
    client: Client,
    secrets: dict[str, str],
    table: dict[tuple[str, str], str],
    make: Callable[[str, str], Call],
    header: str,
) -> Iterator[str]:
    """Every cell of `table`; yields a line for each answer that differs."""
    for (method, route), row in table.items():
        call = make(method, route)
        for column, status in expected(row).items():
            response = send(client, call, secrets[column], header)
            if response.status_code != status:
                yield f"{method} {route} as {column}: {response.status_code}, expected {status}"
            elif status >= 400 and route.startswith("/api/v1/"):
                body = response.json()
                if not {"detail", "field"} <= set(body):
                    yield f"{method} {route} as {column}: error body {body}"


# --- the tests ---------------------------------------------------------------------


def operations() -> Iterator[tuple[str, str]]:
    """(method, path) of every ninja operation, whether in the schema or not."""
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            full = "/api/" + "/".join(part for part in (bound.prefix, path) if part)
            full = re.sub(r"/+", "/", full).rstrip("/")
            for operation in view.operations:
                for method in operation.methods:
                    yield method, full


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route


def test_every_rest_operation_has_a_row_in_the_table() -> None:
    in_schema = {
        (method.upper(), path)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
    }
    in_code = set(operations())

    assert in_schema == set(REST), "routes without a row (or rows without a route)"
    assert in_code == set(REST)


def test_every_other_route_under_api_has_a_row_in_the_table() -> None:
    ninja = {path.removeprefix("/api/") for _, path in operations()}
    ninja = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in ninja}
    routes = set(_routes(api_urls.urlpatterns))

    assert routes - ninja == set(OTHER) | NOT_FOUND_PATTERNS


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_every_rest_route_answers_every_credential_as_the_table_says(
    stage: Stage, client: Client, header: str
) -> None:
    secrets = credentials(stage)

    wrong = list(walk(client, secrets, REST, lambda m, r: rest_call(stage, m, r), header))

    assert not wrong, "\n".join(wrong)


def test_every_osticket_route_answers_every_credential_as_the_table_says(
    stage: Stage, client: Client
) -> None:
    secrets = credentials(stage)
    seq = iter(range(10_000))
    table = {key: row for rows in OTHER.values() for key, row in rows.items()}

    wrong = list(
        walk(client, secrets, table, lambda m, p: other_call(stage, m, p, next(seq)), "x-api-key")
    )

    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", ["/api/", "/api/v2/tickets", "/api/v1/nothing-here"])
def test_paths_that_are_no_route_answer_a_json_404(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) >= {"detail", "field"}


# --- default deny ------------------------------------------------------------------


def _probe() -> NinjaAPI:
    """An API like ours, with one operation of each kind: declared, forgotten,
    explicitly open, and "any valid key"."""
    probe = NinjaAPI(auth=DENY, urls_namespace="probe")

    @probe.get("/declared", auth=keys(Scope.READ))
    def declared(request: HttpRequest) -> str:
        return "ok"

    @probe.get("/forgotten")
    def forgotten(request: HttpRequest) -> str:
        return "ok"

    @probe.get("/open", auth=None)
    def open_to_all(request: HttpRequest) -> str:
        return "ok"

    @probe.get("/any-key", auth=[BearerKey(), HeaderKey()])
    def any_key(request: HttpRequest) -> str:
        return "ok"

    return probe


def test_an_operation_that_declares_nothing_refuses_everyone_with_a_json_403(
    world: World,
) -> None:
    admin = make_token(world.admin)
    client = TestClient(_probe())

    for headers in ({}, {"Authorization": f"Bearer {admin}"}):
        response = client.get("/forgotten", headers=headers)

        assert response.status_code == 403
        assert response.json()["detail"] == str(UNDECLARED)


def test_the_check_names_every_operation_that_does_not_declare_its_access() -> None:
    assert undeclared(_probe()) == ["GET /forgotten", "GET /open", "GET /any-key"]


def test_every_operation_of_our_api_declares_its_access(db: None) -> None:
    assert check_declared_access() == []
    call_command("check", "--fail-level", "ERROR")  # the check is registered and passes


def test_a_rule_without_a_scope_cannot_be_written() -> None:
    with pytest.raises(TypeError):
        keys()
