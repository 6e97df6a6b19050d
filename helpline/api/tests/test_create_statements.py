"""What opening a ticket costs the database, pinned (issue 11): through the REST API
and the osTicket endpoint, inside and outside the write transaction.

41 statements per ticket before, with every notification mail (7 in the benchmark's
data) rendered and written inside the transaction and one task row each after it.
Now the change writes one MailBatch row and queues one fan-out task; the mail is
planned, rendered and written by the worker (helpline.notify.fanout). The lists
below are the statements, in order, so that a new one shows up by name.

Inside the test's transaction the channel's own transaction is a savepoint (on a
live site: BEGIN and COMMIT instead), and the task row queued on commit is written
when the captured callbacks run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.conftest import World
from helpline.notify.models import MailBatch, OutboundMessage
from helpline.tickets.models import Ticket

from .conftest import Api, make_key
from .osticket import VALID, post

# Each statement, shortened to its verb and first table (or the savepoint).
OPENING = [
    "SAVEPOINT",  # the channel's transaction: the customer with the ticket
    "SELECT accounts_customer",  # the customer by address
    "SELECT accounts_organization",  # a new customer's organization, by domain
    "SAVEPOINT",  # creating the customer: a concurrent request may win
    "INSERT accounts_customer",
    "RELEASE",
    "SELECT automation_rule",  # the routing rules, before the ticket is written
    "SELECT tickets_status",  # the status for new tickets
    "SELECT sla_slaplan",  # the default plan (the topic and department name none)
    "SAVEPOINT",  # the lifecycle's transaction
    "INSERT tickets_issuednumber",  # ON CONFLICT DO NOTHING: no savepoint of its own
    "SELECT tickets_status",  # the plan's pausing statuses
    "INSERT tickets_ticket",
    "UPDATE tickets_queuecount",
    "INSERT tickets_entry",
    "INSERT tickets_event",
    # The topic's task templates (helpline.ticket_tasks.topic_templates); none here.
    "SELECT ticket_tasks_tasktemplate",
    "INSERT notify_mailbatch",  # the mail to come: one small row
    "INSERT search_pending",  # the ticket to index (helpline.search.staleness)
    "INSERT reports_dailyrollup",  # the reports' figures of the day (helpline.reports.rollups)
    "INSERT reports_rollupticket",  # where the ticket stands in them
    "RELEASE",
    "RELEASE",
    "INSERT django_tasks_database_dbtaskresult",  # on commit: the fan-out task
]
# Before the transaction, the API: the key (with its default topic), the topic (with
# its department, priority and plans), the topic's form fields.
BEFORE = ["SELECT api_apikey", "SELECT tickets_helptopic", "SELECT tickets_topicfield"]


def _shape(sql: str) -> str:
    words = re.findall(r'[A-Z]+|"[a-z_]+"', sql)
    verb = words[0]
    if verb in ("SAVEPOINT", "RELEASE"):
        return verb
    table = next(w.strip('"') for w in words[1:] if w.startswith('"'))
    return f"{verb} {table}"


def statements(capture: Callable[..., Any], call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        result = call()
    return result, [_shape(q["sql"]) for q in queries.captured_queries]


def test_opening_a_ticket_through_the_rest_api_runs_27_statements(
    world: World, channel: Api, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = {"subject": "Invoice missing", "message": "Where?", "topic_id": world.topic.pk}
    channel.post("/tickets", {**ticket, "email": "first@example.net"})  # warm caches

    response, shapes = statements(
        django_capture_on_commit_callbacks,
        lambda: channel.post("/tickets", {**ticket, "email": "Rita Ray <rita@example.net>"}),
    )

    assert response.status_code == 201, response.content
    assert shapes == BEFORE + OPENING, "\n".join(shapes)
    assert len(shapes) == 27
    assert response.json()["customer"]["email"] == "rita@example.net"
    assert MailBatch.objects.count() == 2 and not OutboundMessage.objects.exists()


def test_a_returning_customer_costs_four_statements_less(
    world: World, channel: Api, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket = {"subject": "Invoice missing", "message": "Where?", "topic_id": world.topic.pk}
    channel.post("/tickets", {**ticket, "email": "rita@example.net"})

    response, shapes = statements(
        django_capture_on_commit_callbacks,
        lambda: channel.post("/tickets", {**ticket, "email": "rita@example.net"}),
    )

    assert response.status_code == 201
    # No organization lookup, no savepoint and INSERT for the customer.
    returning = OPENING[:2] + OPENING[6:]
    assert shapes == BEFORE + returning, "\n".join(shapes)
    assert len(shapes) == 23


def test_opening_a_ticket_through_the_osticket_endpoint_runs_27_statements(
    world: World, client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    key = make_key(scopes=["tickets:create"])
    post(client, "/api/tickets.json", VALID, key)

    response, shapes = statements(
        django_capture_on_commit_callbacks,
        lambda: post(client, "/api/tickets.json", VALID.replace("a@", "b@"), key),
    )

    assert response.status_code == 201, response.content
    # No topicId: the first active topic, read with its relations (osticket.views).
    assert shapes == BEFORE + OPENING, "\n".join(shapes)
    assert Ticket.objects.count() == 2
