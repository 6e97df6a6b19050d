"""Checking a ticket's status, and the signed links that open a ticket without login."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from helpline.accounts.tests.mailbox import (
    database_work,
    last_link,
    page_as_seen,
    run_account_tasks,
)
from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.tickets.links import ticket_from_token, ticket_token, ticket_token_expired


def test_a_token_names_its_ticket_and_nothing_else(world: World) -> None:
    ticket = world.open()
    other = world.open("Another one")

    token = ticket_token(ticket)

    assert ticket_from_token(token) == ticket
    assert ticket_from_token(ticket_token(other)) == other
    assert ticket_from_token("garbage") is None
    assert ticket_from_token(token.replace(ticket.number, other.number)) is None
    assert not ticket_token_expired("garbage")


SENT = "If that ticket exists, we sent a link"


@pytest.mark.parametrize("configured", [True, False])
def test_the_status_page_answers_the_same_whether_or_not_the_ticket_exists(
    client: Client, world: World, settings: Any, configured: bool
) -> None:
    """With mail set up or not: the page never shows the link, only the mailbox gets
    it, so an address and a number are not enough to read somebody's ticket."""
    settings.EMAIL_CONFIGURED = configured
    ticket = world.open()
    typed = [
        ("KEN@Example.com", f"#{ticket.number}"),  # Ken's ticket
        ("olive@example.org", ticket.number),  # somebody else's address
        ("ken@example.com", "000000"),  # no such ticket
        ("nobody@example.com", "000000"),
    ]

    answers = [client.post("/status/", {"email": e, "number": n}) for e, n in typed]

    assert {a.status_code for a in answers} == {200}
    pages = {page_as_seen(a, e, n) for a, (e, n) in zip(answers, typed, strict=True)}
    assert len(pages) == 1
    [page] = pages
    assert SENT in page and "/t/" not in page
    # Kept what was typed.
    assert 'value="olive@example.org"' in answers[1].content.decode()
    # Only Ken's mailbox got a link, once, and it opens his ticket.
    assert run_account_tasks() == 4
    queued = OutboundMessage.objects.filter(kind=MailKind.TICKET_LINK)
    assert [(m.ticket, m.to) for m in queued] == [(ticket, ["Ken Adams <ken@example.com>"])]
    path = last_link("ken@example.com", "Your ticket")
    assert ticket_from_token(path.split("/")[2]) == ticket
    assert Client().get(path).status_code == 200


# Transactional: the worker closes its database connection after each task, as a
# long-running process should, which the usual test transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_the_status_page_mails_the_link_through_the_worker(
    client: Client, world: World, settings: Any
) -> None:
    settings.EMAIL_CONFIGURED = True
    ticket = world.open()
    # Whatever opening the ticket sent (the autoresponse, alerts) is not counted.
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    mail.outbox.clear()

    client.post("/status/", {"email": "ken@example.com", "number": ticket.number})

    assert not mail.outbox  # never sent from the request: the worker sends it
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Ken Adams <ken@example.com>"]
    assert message.extra_headers["Message-ID"].startswith(f"<hl.{ticket.number}.l")
    sent_link = re.search(r"/t/([^/\s]+)/", str(message.body))
    assert sent_link is not None
    assert ticket_from_token(sent_link.group(1)) == ticket


def test_the_status_lookup_does_the_same_work_whether_or_not_the_ticket_exists(
    world: World,
) -> None:
    """Looking the ticket up in the request made the page measurably slower when it
    existed. The request only queues one task with what was typed."""
    ticket = world.open()
    yes = {"email": "ken@example.com", "number": ticket.number}
    no = {"email": "ken@example.com", "number": "000001"}

    works = [database_work("/status/", data) for data in (yes, no)]

    assert works[0] == works[1]
    assert not [q for q in works[0] if '"tickets_ticket"' in q or '"accounts_customer"' in q]
    assert run_account_tasks() == 2
    assert OutboundMessage.objects.filter(kind=MailKind.TICKET_LINK).count() == 1


def test_the_status_form_keeps_typed_values_on_errors(client: Client, world: World) -> None:
    response = client.post("/status/", {"email": "ken at example", "number": "123456"})

    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="ken at example"' in html
    assert 'value="123456"' in html


def test_the_status_lookup_is_throttled_per_address(
    client: Client, world: World, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True
    for _ in range(10):
        client.post("/status/", {"email": "ken@example.com", "number": "000000"})

    response = client.post("/status/", {"email": "ken@example.com", "number": "000000"})

    assert response.status_code == 429


def test_a_signed_link_opens_the_ticket_without_login(client: Client, world: World) -> None:
    ticket = world.open()

    response = client.get(f"/t/{ticket_token(ticket)}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Printer on fire" in html and ticket.number in html
    assert "It is really on fire." in html
    assert "no-store" in response["Cache-Control"]  # private pages stay out of caches


def test_a_tampered_link_is_not_found(client: Client, world: World) -> None:
    ticket = world.open()
    token = ticket_token(ticket)

    assert client.get(f"/t/{token[:-1]}x/").status_code == 404
    assert client.get(f"/t/{token}x/").status_code == 404
    assert client.get("/t/123456.1:abc:def/").status_code == 404
    forged = token.replace(ticket.number, "000001", 1)
    assert client.get(f"/t/{forged}/").status_code == 404


def test_an_expired_link_says_so_and_offers_a_new_one(
    client: Client, world: World, settings: Any
) -> None:
    settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS = 30
    ticket = world.open()
    token = ticket_token(ticket)

    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert client.get(f"/t/{token}/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.get(f"/t/{token}/")
        reply = client.post(f"/t/{token}/reply/", {"body": "Still there?"})

    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html
    assert 'href="/status/"' in html
    assert "Printer on fire" not in html
    assert reply.status_code == 410
    assert ticket.entries.count() == 1
