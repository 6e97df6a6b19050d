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

from helpline.conftest import World
from helpline.portal.links import ticket_from_token, ticket_token, token_expired

GENERIC = "We found no ticket with that number for that email address."


def test_a_token_names_its_ticket_and_nothing_else(world: World) -> None:
    ticket = world.open()
    other = world.open("Another one")

    token = ticket_token(ticket)

    assert ticket_from_token(token) == ticket
    assert ticket_from_token(ticket_token(other)) == other
    assert ticket_from_token("garbage") is None
    assert ticket_from_token(token.replace(ticket.number, other.number)) is None
    assert not token_expired("garbage")


def test_the_status_page_shows_the_link_when_mail_is_not_set_up(
    client: Client, world: World, settings: Any
) -> None:
    settings.EMAIL_CONFIGURED = False
    ticket = world.open()

    response = client.post("/status/", {"email": "KEN@Example.com", "number": f"#{ticket.number}"})

    assert response.status_code == 200
    html = response.content.decode()
    # The token carries its signing time, so it is read from the page, not rebuilt.
    found = re.search(r'class="signed-link" href="(http://testserver/t/([^"/]+)/)"', html)
    assert found is not None
    link, token = found.groups()
    assert ticket_from_token(token) == ticket
    assert GENERIC not in html
    assert client.get(link).status_code == 200
    assert not mail.outbox


def test_a_wrong_email_gets_the_generic_message(
    client: Client, world: World, settings: Any
) -> None:
    settings.EMAIL_CONFIGURED = False
    ticket = world.open()

    response = client.post("/status/", {"email": "olive@example.org", "number": ticket.number})

    html = response.content.decode()
    assert GENERIC in html
    assert "/t/" not in html


def test_a_nonexistent_number_gets_the_same_generic_message(
    client: Client, world: World, settings: Any
) -> None:
    settings.EMAIL_CONFIGURED = False
    world.open()

    missing = client.post("/status/", {"email": "ken@example.com", "number": "000000"})
    wrong_email = client.post("/status/", {"email": "nobody@example.com", "number": "000000"})

    assert GENERIC in missing.content.decode()
    assert GENERIC in wrong_email.content.decode()
    assert "/t/" not in missing.content.decode()


# Transactional: the worker closes its database connection after each task, as a
# long-running process should, which the usual test transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_the_status_page_mails_the_link_when_mail_is_set_up(
    client: Client, world: World, settings: Any
) -> None:
    settings.EMAIL_CONFIGURED = True
    ticket = world.open()
    # Whatever opening the ticket sent (the autoresponse, alerts) is not counted.
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    mail.outbox.clear()

    found = client.post("/status/", {"email": "ken@example.com", "number": ticket.number})
    missing = client.post("/status/", {"email": "ken@example.com", "number": "000000"})

    sent = "If that ticket exists, we sent a link"
    assert sent in found.content.decode() and sent in missing.content.decode()
    assert "/t/" not in found.content.decode()
    assert not mail.outbox  # never sent from the request: the worker sends it
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ken@example.com"]
    sent_link = re.search(r"http://testserver/t/([^/\s]+)/", str(message.body))
    assert sent_link is not None
    assert ticket_from_token(sent_link.group(1)) == ticket


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
    settings.EMAIL_CONFIGURED = False
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
