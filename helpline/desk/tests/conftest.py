"""Fixtures of the desk tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Ticket


@dataclass
class Desk:
    """An administrator signed in, and a ticket with an attached file."""

    world: World
    client: Client
    ticket: Ticket
    attachment: Attachment


@pytest.fixture
def desk(world: World, client: Client) -> Desk:
    ticket = world.open()
    lifecycle.add_note(
        ticket,
        actor=world.admin,
        body_html="<p>log attached</p>",
        uploads=[lifecycle.Upload("log.txt", "text/plain", b"hello")],
    )
    attachment = Attachment.objects.get(entry__ticket=ticket)
    client.force_login(world.admin.user)
    client.raise_request_exception = True  # a 500 fails with its traceback
    return Desk(world, client, ticket, attachment)
