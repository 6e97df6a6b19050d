"""The desk's edit form offers the help topics of the ticket's own department,
and refuses another department's topic with a clear message that keeps what
was typed (the lifecycle refuses it for every channel: test_edit.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import HelpTopic, Ticket

pytestmark = pytest.mark.django_db


def topic_choices(page: str) -> list[str]:
    select = re.search(r'<select name="topic"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the edit form has no topic select"
    return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select.group(1))


def test_the_edit_form_offers_only_the_topics_of_the_tickets_department(
    world: World, client: Client
) -> None:
    HelpTopic.objects.create(name="Toner", department=world.support)
    ticket = world.open()
    client.force_login(world.supervisor.user)
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert topic_choices(page) == ["Printers", "Toner"]


def test_after_a_transfer_the_form_keeps_the_old_topic_and_offers_the_new_departments(
    world: World, client: Client
) -> None:
    ticket = lifecycle.transfer(world.open(), actor=world.admin, department=world.sales)
    client.force_login(world.admin.user)
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert topic_choices(page) == ["Pricing", "Printers"]


def test_another_departments_topic_is_refused_with_a_clear_message_keeping_the_subject(
    world: World, client: Client
) -> None:
    ticket = world.open()
    client.force_login(world.admin.user)
    response = client.post(
        f"/desk/tickets/{ticket.number}/edit/",
        {"version": ticket.version, "subject": "Typed subject", "topic": world.sales_topic.pk},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert (
        "Choose a help topic of the Support department; to use a topic of another "
        "department, transfer the ticket first."
    ) in text
    assert 'value="Typed subject"' in text
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.topic, fresh.subject, fresh.version) == (world.topic, ticket.subject, 1)
