"""Configuration lives in Django's admin for now: administrators only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Role
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

CONFIG_PAGES = [
    "accounts_agent",
    "accounts_department",
    "accounts_team",
    "accounts_customer",
    "accounts_organization",
    "sla_slaplan",
    "tickets_helptopic",
    "tickets_status",
    "tickets_priority",
]


@pytest.mark.parametrize("page", CONFIG_PAGES)
def test_an_administrator_can_open_every_configuration_page(
    client: Client, world: World, page: str
) -> None:
    client.force_login(world.admin.user)
    assert client.get(reverse(f"admin:{page}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{page}_add")).status_code == 200


@pytest.mark.parametrize("who", ["supervisor", "agent"])
def test_agents_and_supervisors_cannot_open_the_admin(client: Client, world: World, who) -> None:
    client.force_login(getattr(world, who).user)
    response = client.get(reverse("admin:tickets_helptopic_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_customers_cannot_open_the_admin(client: Client, world: World) -> None:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    assert client.get(reverse("admin:index")).status_code == 302


def test_promoting_and_demoting_an_agent_grants_and_removes_admin_access(world: World) -> None:
    agent = world.agent
    agent.role = Role.ADMIN
    agent.save()
    agent.user.refresh_from_db()
    assert agent.user.is_staff and agent.user.is_superuser
    agent.role = Role.AGENT
    agent.save()
    agent.user.refresh_from_db()
    assert not agent.user.is_staff and not agent.user.is_superuser


def test_deactivating_an_agent_keeps_their_tickets_visible_to_others(
    client: Client, world: World
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    world.agent.user.is_active = False
    world.agent.user.save()
    client.force_login(world.supervisor.user)
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert response.status_code == 200
    assert b"Alice Agent" in response.content
    assert Ticket.objects.visible_to(world.agent).count() == 0


def test_deleting_an_agent_keeps_their_tickets_and_history(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    with django_capture_on_commit_callbacks(execute=True):
        world.agent.delete()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(new_value="Alice Agent").exists()
    client.force_login(world.admin.user)
    response = client.get(reverse("desk:queue", args=["unassigned"]))
    assert response.context["counts"]["unassigned"] == 1
    assert [t.pk for t in response.context["page"].tickets] == [ticket.pk]
