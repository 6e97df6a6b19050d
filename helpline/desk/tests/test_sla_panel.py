"""The ticket page's SLA panel and its actions: time left or overdue by how much,
escalating by hand, setting a due date and changing the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from helpline.conftest import World
from helpline.desk.tests.test_desk import act, login
from helpline.desk.views.sla import span
from helpline.sla.models import EscalationLevel, EscalationPolicy, SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind, Ticket

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (-timedelta(days=3, hours=4, minutes=10), "3 d 4 h"),
        (timedelta(days=2), "2 d"),
    ],
)
def test_durations_read_short(delta: timedelta, text: str) -> None:
    assert span(delta) == text


def page(client: Client, ticket: Ticket) -> str:
    return client.get(f"/desk/tickets/{ticket.number}/").content.decode()


def test_the_panel_shows_the_time_left_then_how_long_overdue(client: Client, world: World) -> None:
    login(client, world.agent)
    with time_machine.travel(MONDAY, tick=False):
        ticket = world.open()  # Standard: 8 h, 24/7

    with time_machine.travel(MONDAY + timedelta(hours=5, minutes=30), tick=False):
        assert "2 h 30 min left" in page(client, ticket)
    with time_machine.travel(MONDAY + timedelta(hours=9, minutes=15), tick=False):
        assert "Overdue by 1 h 15 min" in page(client, ticket)


def test_a_paused_clock_says_so(client: Client, world: World) -> None:
    login(client, world.agent)
    ticket = world.open()
    lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))

    html = page(client, ticket)

    assert "Clock paused" in html and "Paused since" in html


def test_a_ticket_without_a_plan_says_it_has_no_due_time(client: Client, world: World) -> None:
    SLAPlan.objects.update(is_active=False)
    login(client, world.agent)

    assert "No SLA plan: this ticket has no due time." in page(client, world.open())


def test_an_agent_escalates_by_hand_with_a_reason(client: Client, world: World) -> None:
    policy = EscalationPolicy.objects.create(name="Printers")
    EscalationLevel.objects.create(policy=policy, order=1, name="Level II", assign_team=world.team)
    world.sla.escalation_policy = policy
    world.sla.save()
    ticket = world.open()
    login(client, world.agent)

    empty = act(client, ticket, "escalate", reason="")
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    response = act(client, ticket, "escalate", reason="The whole floor is down")

    assert response.status_code == 302
    escalated = ticket.events.get(kind=EventKind.ESCALATED)
    assert (escalated.new_value, escalated.reason) == ("Level II", "The whole floor is down")
    assert "Level 1" in page(client, ticket)
    again = act(client, Ticket.objects.get(pk=ticket.pk), "escalate", reason="Still down")
    assert again.status_code == 400
    assert "Every escalation level has already fired" in again.content.decode()


def test_escalate_is_offered_only_while_a_level_is_left_to_fire(
    client: Client, world: World
) -> None:
    """Not offered on a plan without levels, nor once every level fired (a new
    user's trial wrote a reason first and was refused after)."""
    ticket = world.open()
    login(client, world.agent)
    assert 'id="action-escalate"' not in page(client, ticket)

    policy = EscalationPolicy.objects.create(name="Printers")
    EscalationLevel.objects.create(policy=policy, order=1, name="Level II")
    world.sla.escalation_policy = policy
    world.sla.save()
    assert 'id="action-escalate"' in page(client, ticket)

    assert act(client, ticket, "escalate", reason="Down").status_code == 302
    assert 'id="action-escalate"' not in page(client, Ticket.objects.get(pk=ticket.pk))


def test_escalating_without_a_policy_is_refused_with_a_message(
    client: Client, world: World
) -> None:
    ticket = world.open()
    login(client, world.agent)

    response = act(client, ticket, "escalate", reason="Help")

    assert response.status_code == 400
    assert "has no escalation policy" in response.content.decode()


def test_a_supervisor_sets_a_due_date_by_hand_and_clears_it(client: Client, world: World) -> None:
    with time_machine.travel(MONDAY, tick=False):
        ticket = world.open()
        login(client, world.supervisor)

        response = act(client, ticket, "due", due_at="2026-03-04T17:00", reason="Customer agreed")

        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.due_is_manual
        assert ticket.due_at == datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # TIME_ZONE is UTC
        assert "(set by hand)" in page(client, ticket)

        act(client, ticket, "due", due_at="")
        ticket.refresh_from_db()
        assert not ticket.due_is_manual
        assert ticket.due_at == MONDAY + timedelta(hours=8)


def test_a_due_date_in_the_past_is_refused_and_kept_in_the_form(
    client: Client, world: World
) -> None:
    ticket = world.open()
    login(client, world.supervisor)

    response = act(client, ticket, "due", due_at="2001-01-01T10:00")

    html = response.content.decode()
    assert response.status_code == 400
    assert "The due date must be in the future." in html and "2001-01-01T10:00" in html


def test_a_supervisor_changes_the_plan_and_an_agent_cannot(client: Client, world: World) -> None:
    fast = SLAPlan.objects.create(name="Fast", resolution_hours=2)
    ticket = world.open()

    login(client, world.agent)
    assert 'id="action-plan"' not in page(client, ticket)
    assert act(client, ticket, "plan", plan=fast.pk).status_code == 400

    login(client, world.supervisor)
    assert act(client, ticket, "plan", plan=fast.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.sla == fast and ticket.sla_started_at is not None
    assert ticket.due_at == ticket.sla_started_at + timedelta(hours=2)


def test_an_answer_after_the_target_is_a_miss_even_before_the_sweep_marks_it(
    client: Client, world: World
) -> None:
    world.sla.first_response_hours = 1
    world.sla.grace_minutes = 30
    world.sla.save()
    with time_machine.travel(MONDAY, tick=False):
        early, late, graced = world.open("Early"), world.open("Late"), world.open("Graced")
    with time_machine.travel(MONDAY + timedelta(minutes=50), tick=False):
        lifecycle.reply(early, actor=world.agent, body_html="<p>On it</p>")
    with time_machine.travel(MONDAY + timedelta(minutes=80), tick=False):
        lifecycle.reply(graced, actor=world.agent, body_html="<p>On it</p>")  # within grace
    with time_machine.travel(MONDAY + timedelta(minutes=95), tick=False):
        lifecycle.reply(late, actor=world.agent, body_html="<p>Sorry</p>")  # nobody swept
        login(client, world.agent)
        flags = {
            t.subject: t.first_response_breached
            for t in Ticket.objects.filter(pk__in=[early.pk, late.pk, graced.pk])
        }
        assert flags == {"Early": False, "Late": True, "Graced": False}
        assert "Missed" in page(client, late)
        assert "Missed" not in page(client, graced)


def test_resolving_after_the_target_records_the_miss(world: World) -> None:
    with time_machine.travel(MONDAY, tick=False):
        on_time, overdue = world.open("On time"), world.open("Overdue")
    with time_machine.travel(MONDAY + timedelta(hours=7), tick=False):
        lifecycle.resolve(on_time, actor=world.agent, explanation_html="<p>Done</p>")
    with time_machine.travel(MONDAY + timedelta(hours=9), tick=False):
        lifecycle.close(overdue, actor=world.agent, reason="Duplicate")

    assert not Ticket.objects.get(pk=on_time.pk).resolution_breached
    assert Ticket.objects.get(pk=overdue.pk).resolution_breached
