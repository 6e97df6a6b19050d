"""The SLA through the API: escalating, setting a due date, changing the plan."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from helpline.conftest import World
from helpline.sla.models import EscalationLevel, EscalationPolicy, SLAPlan
from helpline.tickets.models import EventKind, Ticket

from .conftest import Api


def test_an_agent_escalates_with_a_reason(world: World, agent_api: Api, ticket: Ticket) -> None:
    policy = EscalationPolicy.objects.create(name="Printers")
    EscalationLevel.objects.create(policy=policy, order=1, name="Level II", assign_team=world.team)
    world.sla.escalation_policy = policy
    world.sla.save()

    response = agent_api.post(f"/tickets/{ticket.number}/escalate", {"reason": "Floor down"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["escalation_level"] == 1 and body["team"]["name"] == "Level II"
    assert ticket.events.get(kind=EventKind.ESCALATED).reason == "Floor down"
    again = agent_api.post(f"/tickets/{ticket.number}/escalate", {"reason": "Still"})
    assert again.status_code == 409
    assert "already fired" in again.json()["detail"]


def test_escalating_needs_a_reason(agent_api: Api, ticket: Ticket) -> None:
    response = agent_api.post(f"/tickets/{ticket.number}/escalate", {})

    assert response.status_code == 422 and response.json()["field"] == "reason"


def test_a_supervisor_sets_the_due_date_and_an_agent_may_not(
    world: World, agent_api: Api, supervisor_api: Api, ticket: Ticket
) -> None:
    due = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    refused = agent_api.post(f"/tickets/{ticket.number}/due", {"due_at": due.isoformat()})
    response = supervisor_api.post(f"/tickets/{ticket.number}/due", {"due_at": due.isoformat()})

    assert refused.status_code == 403
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["due_is_manual"] is True
    assert Ticket.objects.get(pk=ticket.pk).due_at == due


def test_a_due_date_without_an_offset_is_refused_with_the_field(
    supervisor_api: Api, ticket: Ticket
) -> None:
    response = supervisor_api.post(f"/tickets/{ticket.number}/due", {"due_at": "2030-01-01T10:00"})

    assert response.status_code == 422 and response.json()["field"] == "due_at"


def test_a_supervisor_changes_the_plan(world: World, supervisor_api: Api, ticket: Ticket) -> None:
    fast = SLAPlan.objects.create(name="Fast", resolution_hours=2)

    response = supervisor_api.post(f"/tickets/{ticket.number}/sla-plan", {"sla_plan_id": fast.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sla"] == {"id": fast.pk, "name": str(fast)} and body["sla_from"] == "manual"
    unknown = supervisor_api.post(f"/tickets/{ticket.number}/sla-plan", {"sla_plan_id": 99999})
    assert unknown.status_code == 422 and unknown.json()["field"] == "sla_plan_id"
