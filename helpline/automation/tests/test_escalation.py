"""Escalation levels: fired by the sweep at their moment, or by an agent by hand,
each once per ticket, with the actions the level names."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from helpline.accounts.models import Agent, AssignmentMode, Role
from helpline.automation.sla_sweep import sweep
from helpline.automation.tests.sweeping import (
    alerted,
    escalations,
    events,
    fired,
    fresh,
    overdue_reasons,
    policy,
    targets,
)
from helpline.conftest import World, make_agent
from helpline.notify.models import MailKind
from helpline.sla.models import EscalationLevel, EscalationPolicy, SLAPlan, Target, Trigger
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import EventKind, Priority, Ticket

pytestmark = pytest.mark.django_db

ADA, SAM, ALICE, BOB, CARL = (
    "ada.admin@example.com",
    "sam.super@example.com",
    "alice.agent@example.com",
    "bob.sales@example.com",
    "carl.night@example.com",
)
SECOND = timedelta(seconds=1)
QUIET = {"notify_assignee": False, "notify_manager": False}

# Level 1: half-way to the first-response target; level 2: 30 minutes after the
# resolution target passed.
HALF_WAY = {
    "name": "Heads-up",
    "target": Target.FIRST_RESPONSE,
    "trigger": Trigger.BEFORE_DUE,
    "percent": 50,
}
HALF_HOUR_LATE = {
    "name": "Level II",
    "target": Target.RESOLUTION,
    "trigger": Trigger.AFTER_DUE,
    "minutes": 30,
}


@pytest.fixture
def plan(world: World) -> SLAPlan:
    """First response due after 1 hour, resolution after 8, no grace."""
    return targets(world, first_response="1", resolution="8")


@pytest.fixture
def two_levels(plan: SLAPlan) -> list[EscalationLevel]:
    return policy(plan, HALF_WAY, HALF_HOUR_LATE)


@pytest.fixture
def carl(world: World) -> Agent:
    """A third Support agent, not in the Level II team."""
    return make_agent("carl.night", Role.AGENT, world.support)


def started(ticket: Ticket) -> datetime:
    assert ticket.sla_started_at is not None
    return ticket.sla_started_at


def resolution_due(ticket: Ticket) -> datetime:
    assert ticket.due_at is not None
    return ticket.due_at


def half_way(ticket: Ticket) -> datetime:
    return started(ticket) + timedelta(minutes=30)


# --- the sweep fires each level at its moment, once --------------------------------------


def test_a_percent_level_fires_at_exactly_its_share_of_the_first_response_target(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()
    moment = half_way(ticket)
    assert fresh(ticket).sla_alarm_at == moment

    sweep(now=moment - SECOND)
    assert escalations(ticket) == []

    sweep(now=moment)

    assert escalations(ticket) == ["Heads-up"]
    [event] = events(ticket, EventKind.ESCALATED)
    assert event.reason == "SLA: at 50 % of the first response target"
    assert (event.agent_id, event.actor_name, event.created_at) == (None, "System", moment)
    assert fired(ticket) == [(1, False)]
    assert fresh(ticket).escalation_level == 1
    assert overdue_reasons(ticket) == []  # half-way is not late

    sweep(now=moment + timedelta(minutes=10))
    lifecycle.sla_tick(ticket, now=moment + timedelta(minutes=20))
    assert escalations(ticket) == ["Heads-up"]
    assert fired(ticket) == [(1, False)]


def test_a_level_after_the_resolution_target_fires_exactly_that_many_minutes_late(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()
    moment = resolution_due(ticket) + timedelta(minutes=30)
    with time_machine.travel(resolution_due(ticket), tick=False):
        sweep()  # both targets missed, level 1 long past
    assert escalations(ticket) == ["Heads-up"]
    assert fresh(ticket).sla_alarm_at == moment

    with time_machine.travel(moment - SECOND, tick=False):
        assert sweep() == {"looked_at": 0, "failed": 0}
        lifecycle.sla_tick(ticket)
    assert escalations(ticket) == ["Heads-up"]

    with time_machine.travel(moment, tick=False):
        assert sweep() == {"looked_at": 1, "failed": 0}

    assert escalations(ticket) == ["Heads-up", "Level II"]
    assert events(ticket, EventKind.ESCALATED)[-1].reason == (
        "SLA: 30 min after the resolution target"
    )
    assert fired(ticket) == [(1, False), (2, False)]
    assert fresh(ticket).sla_alarm_at is None  # nothing left to do
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert sweep() == {"looked_at": 0, "failed": 0}
        lifecycle.sla_tick(ticket)
    assert escalations(ticket) == ["Heads-up", "Level II"]


def test_a_sweep_long_after_every_moment_fires_each_level_once_in_order(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()

    sweep(now=resolution_due(ticket) + timedelta(days=2))
    sweep(now=resolution_due(ticket) + timedelta(days=3))

    assert escalations(ticket) == ["Heads-up", "Level II"]
    assert len(overdue_reasons(ticket)) == 2
    assert fresh(ticket).escalation_level == 2


def test_a_first_response_in_time_stops_its_level_but_not_the_resolution_one(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>On it.</p>")

    sweep(now=resolution_due(ticket) + timedelta(hours=1))

    assert escalations(ticket) == ["Level II"]


def test_a_paused_ticket_does_not_escalate(world: World, two_levels: list[EscalationLevel]) -> None:
    ticket = world.open()
    lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))

    sweep(now=resolution_due(ticket) + timedelta(days=1))
    lifecycle.sla_tick(ticket, now=resolution_due(ticket) + timedelta(days=1))

    assert escalations(ticket) == []


def test_an_inactive_policy_fires_nothing(world: World, two_levels: list[EscalationLevel]) -> None:
    EscalationPolicy.objects.update(is_active=False)
    ticket = world.open()

    sweep(now=resolution_due(ticket) + timedelta(days=1))

    assert escalations(ticket) == []
    assert len(overdue_reasons(ticket)) == 2


# --- what a level does ----------------------------------------------------------------------


def test_a_level_alerts_the_assignee_the_manager_and_the_agents_it_names(
    world: World, plan: SLAPlan
) -> None:
    world.support.manager = world.admin
    world.support.save()
    policy(plan, {**HALF_WAY, "notify_agents": [world.other_agent]})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)

    sweep(now=half_way(ticket))

    assert alerted(ticket, MailKind.ESCALATION_ALERT) == [ADA, ALICE, BOB]


def test_a_level_without_an_assignee_alerts_the_team_and_can_stay_quiet(
    world: World, plan: SLAPlan
) -> None:
    policy(plan, HALF_WAY, {**HALF_HOUR_LATE, **QUIET})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, team=world.team)

    sweep(now=resolution_due(ticket) + timedelta(hours=1))

    assert escalations(ticket) == ["Heads-up", "Level II"]
    # Level 1 alerts the team (no manager is set); level 2 alerts nobody.
    assert alerted(ticket, MailKind.ESCALATION_ALERT) == [ALICE, SAM]


def test_a_team_level_releases_an_agent_outside_it_and_the_team_picks_a_member(
    world: World, plan: SLAPlan, carl: Agent
) -> None:
    world.team.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.team.save()
    policy(plan, {**HALF_WAY, **QUIET, "assign_team": world.team})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=carl)

    sweep(now=half_way(ticket))

    escalated = fresh(ticket)
    assert escalated.team_id == world.team.pk
    assert escalated.assignee_id in {world.supervisor.pk, world.agent.pk}
    [released] = events(ticket, EventKind.RELEASED)
    assert (released.old_value, released.reason) == (str(carl), "Escalation: Heads-up")
    assigned = [(e.field, e.reason) for e in events(ticket, EventKind.ASSIGNED)][-2:]
    assert assigned == [("team", "Escalation: Heads-up"), ("agent", "Escalation: Heads-up")]
    assert escalated.assignee is not None
    picked = escalated.assignee.user.email
    assert alerted(ticket, MailKind.ASSIGNED_ALERT) == sorted([CARL, picked])


def test_a_team_level_keeps_an_agent_who_is_a_member(world: World, plan: SLAPlan) -> None:
    world.team.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.team.save()
    policy(plan, {**HALF_WAY, **QUIET, "assign_team": world.team})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)

    sweep(now=half_way(ticket))

    kept = fresh(ticket)
    assert (kept.team_id, kept.assignee_id) == (world.team.pk, world.agent.pk)
    assert events(ticket, EventKind.RELEASED) == []


def test_a_team_level_without_automatic_assignment_leaves_the_ticket_to_the_team(
    world: World, plan: SLAPlan, carl: Agent
) -> None:
    policy(plan, {**HALF_WAY, **QUIET, "assign_team": world.team})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=carl)

    sweep(now=half_way(ticket))

    pooled = fresh(ticket)
    assert (pooled.team_id, pooled.assignee_id) == (world.team.pk, None)
    # Carl heard when he got it; the team's members hear it is theirs now.
    assert alerted(ticket, MailKind.ASSIGNED_ALERT) == [ALICE, CARL, SAM]


def test_a_level_naming_an_inactive_team_leaves_the_agent_and_team_alone(
    world: World, plan: SLAPlan, carl: Agent
) -> None:
    world.team.is_active = False
    world.team.save()
    policy(plan, {**HALF_WAY, **QUIET, "assign_team": world.team})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=carl)

    sweep(now=half_way(ticket))

    assert escalations(ticket) == ["Heads-up"]
    kept = fresh(ticket)
    assert (kept.team_id, kept.assignee_id) == (None, carl.pk)
    assert events(ticket, EventKind.RELEASED) == []


def test_a_level_can_hand_the_ticket_to_an_agent(world: World, plan: SLAPlan) -> None:
    policy(plan, {**HALF_WAY, **QUIET, "assign_agent": world.supervisor})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)

    sweep(now=half_way(ticket))

    assert fresh(ticket).assignee_id == world.supervisor.pk
    assert alerted(ticket, MailKind.ASSIGNED_ALERT) == [ALICE, SAM]


@pytest.mark.parametrize(
    ("before", "after"), [("Low", "High"), ("Normal", "High"), ("Emergency", "Emergency")]
)
def test_a_level_raises_the_priority_but_never_lowers_it(
    world: World, plan: SLAPlan, before: str, after: str
) -> None:
    policy(plan, {**HALF_WAY, **QUIET, "raise_priority_to": Priority.objects.get(name="High")})
    ticket = world.open()
    if before != "Normal":
        ticket = lifecycle.change_priority(
            ticket, actor=world.agent, priority=Priority.objects.get(name=before)
        )

    sweep(now=half_way(ticket))

    assert escalations(ticket) == ["Heads-up"]
    assert fresh(ticket).priority.name == after
    changed = [e for e in events(ticket, EventKind.EDITED) if e.reason == "Escalation: Heads-up"]
    assert [(e.old_value, e.new_value) for e in changed] == (
        [] if before == after else [(before, after)]
    )


def test_a_level_transfers_the_ticket_and_releases_an_agent_without_access(
    world: World, plan: SLAPlan
) -> None:
    policy(plan, {**HALF_WAY, **QUIET, "transfer_to": world.sales})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)

    sweep(now=half_way(ticket))

    moved = fresh(ticket)
    assert (moved.department_id, moved.assignee_id) == (world.sales.pk, None)
    [transferred] = events(ticket, EventKind.TRANSFERRED)
    assert (transferred.old_value, transferred.new_value) == ("Support", "Sales")
    assert alerted(ticket, MailKind.TRANSFER_ALERT) == [BOB]


def test_after_a_transfer_onto_another_plan_the_old_policys_later_levels_do_not_fire(
    world: World, plan: SLAPlan
) -> None:
    sales_plan = SLAPlan.objects.create(name="Sales 4h", resolution_hours=4)
    world.sales.sla = sales_plan
    world.sales.save()
    policy(plan, {**HALF_WAY, **QUIET, "transfer_to": world.sales}, {**HALF_HOUR_LATE, **QUIET})
    ticket = world.open()

    # One sweep long after both moments: level 1 moves the ticket onto the Sales
    # plan, which has no policy, so the old plan's level 2 no longer applies.
    sweep(now=resolution_due(ticket) + timedelta(hours=1))

    moved = fresh(ticket)
    assert (moved.department_id, moved.sla_id) == (world.sales.pk, sales_plan.pk)
    assert escalations(ticket) == ["Heads-up"]
    sweep(now=resolution_due(ticket) + timedelta(hours=2))
    assert escalations(ticket) == ["Heads-up"]  # the same as with a sweep in between


# --- escalating by hand ----------------------------------------------------------------------


def test_an_agent_escalating_by_hand_fires_the_next_unfired_level(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()

    ticket = lifecycle.escalate(ticket, actor=world.agent, reason="  Customer is a hospital  ")

    [event] = events(ticket, EventKind.ESCALATED)
    assert (event.new_value, event.reason, event.agent_id) == (
        "Heads-up",
        "Customer is a hospital",
        world.agent.pk,
    )
    assert fired(ticket) == [(1, True)]
    # The sweep does not fire it again at its moment; the next one still comes.
    sweep(now=half_way(ticket))
    assert escalations(ticket) == ["Heads-up"]
    sweep(now=resolution_due(ticket) + timedelta(minutes=30))
    assert escalations(ticket) == ["Heads-up", "Level II"]
    assert fired(ticket) == [(1, True), (2, False)]


def test_escalating_by_hand_after_the_sweep_fires_the_level_after(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()
    sweep(now=half_way(ticket))

    lifecycle.escalate(ticket, actor=world.agent, reason="Still burning")

    assert escalations(ticket) == ["Heads-up", "Level II"]
    assert fired(ticket) == [(1, False), (2, True)]
    assert fresh(ticket).escalation_level == 2


def test_an_agent_escalating_by_hand_is_not_alerted_about_it(world: World, plan: SLAPlan) -> None:
    world.support.manager = world.supervisor
    world.support.save()
    policy(plan, {**HALF_WAY, "notify_agents": [world.supervisor, world.other_agent]})
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)

    lifecycle.escalate(ticket, actor=world.supervisor, reason="Needs Level II")

    # The supervisor is the manager and named, but did it: the others hear.
    assert alerted(ticket, MailKind.ESCALATION_ALERT) == [ALICE, BOB]


def refused_with(message: str, ticket: Ticket, actor: object, reason: str = "Urgent") -> None:
    before = fresh(ticket).version
    with pytest.raises(Refused) as refusal:
        lifecycle.escalate(ticket, actor=actor, reason=reason)  # type: ignore[arg-type]
    assert refusal.value.message == message
    assert fresh(ticket).version == before


def test_escalating_by_hand_needs_a_reason(world: World, two_levels: list[EscalationLevel]) -> None:
    refused_with("Say why the ticket needs escalating.", world.open(), world.agent, reason="  ")


def test_escalating_by_hand_needs_a_policy(world: World, plan: SLAPlan) -> None:
    message = "This ticket's SLA plan has no escalation policy."
    refused_with(message, world.open(), world.agent)


def test_escalating_by_hand_stops_when_every_level_has_fired(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = world.open()
    lifecycle.escalate(ticket, actor=world.agent, reason="One")
    lifecycle.escalate(ticket, actor=world.agent, reason="Two")

    message = "Every escalation level has already fired for this ticket."
    refused_with(message, ticket, world.agent)
    assert fired(ticket) == [(1, True), (2, True)]


def test_a_closed_ticket_cannot_be_escalated(
    world: World, two_levels: list[EscalationLevel]
) -> None:
    ticket = lifecycle.close(world.open(), actor=world.agent)

    refused_with("Only open tickets can be escalated.", ticket, world.agent)


@pytest.mark.parametrize("who", ["customer", "other_agent"])
def test_customers_and_agents_without_access_cannot_escalate(
    world: World, two_levels: list[EscalationLevel], who: str
) -> None:
    ticket = world.open()

    with pytest.raises(NotAllowed, match=r"^You are not allowed to do that on this ticket\.$"):
        lifecycle.escalate(ticket, actor=getattr(world, who), reason="Please hurry")
    assert fired(ticket) == []
