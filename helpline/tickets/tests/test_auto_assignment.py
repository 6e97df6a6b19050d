"""Automatic assignment: round robin, least loaded, and who is eligible at all.

The world's Support department has sam.super and alice.agent (ids in that order),
both in the team "Level II"; ada.admin is an administrator without department
access, bob.sales works in Sales only.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import (
    Agent,
    AgentShift,
    AssignmentCursor,
    AssignmentMode,
    DepartmentAccess,
    Role,
    Team,
)
from helpline.conftest import World, make_agent
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.auto_assignment import (
    eligible_agents,
    is_eligible,
    loads_of,
    pick_agent,
)
from helpline.tickets.models import Priority, Ticket

# A Wednesday, noon UTC.
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _mode(world: World, mode: AssignmentMode, team: Team | None = None) -> None:
    target = team if team is not None else world.support
    target.assignment_mode = mode
    target.save()


def _hand_out(world: World, *, team: Team | None = None, at: datetime = AT) -> Agent | None:
    """Open a ticket at `at` through the lifecycle, which picks and assigns it."""
    with time_machine.travel(at, tick=False):
        ticket = world.open(actor=world.admin, team=team) if team else world.open()
    return ticket.assignee


def _give(world: World, agent: Agent, priority: str, count: int = 1) -> list[Ticket]:
    """Open tickets of `priority` already assigned to `agent`."""
    return [
        world.open(
            actor=world.admin,
            priority=Priority.objects.get(name=priority),
            assignee=agent,
        )
        for _ in range(count)
    ]


def _names(agents: list[Agent | None]) -> list[str]:
    return [a.user.username if a else "-" for a in agents]


def _shift(agent: Agent, weekday: int, start: str, end: str) -> AgentShift:
    return AgentShift.objects.create(
        agent=agent,
        weekday=weekday,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
    )


# --- round robin ------------------------------------------------------------------------


def test_round_robin_hands_tickets_out_in_id_order_and_wraps_around(world: World) -> None:
    carol = make_agent("carol.agent", Role.AGENT, world.support)
    _mode(world, AssignmentMode.ROUND_ROBIN)

    picked = [_hand_out(world) for _ in range(7)]

    order = ["sam.super", "alice.agent", "carol.agent"]
    assert _names(picked) == order + order + order[:1]
    assert AssignmentCursor.objects.get(scope=f"department:{world.support.pk}").last_agent == (
        world.supervisor
    )
    assert carol.assigned_tickets.count() == 2


def test_round_robin_skips_an_agent_who_is_away_and_goes_on_after_them(world: World) -> None:
    carol = make_agent("carol.agent", Role.AGENT, world.support)
    _mode(world, AssignmentMode.ROUND_ROBIN)
    assert _names([_hand_out(world)]) == ["sam.super"]
    world.agent.is_on_vacation = True
    world.agent.save()

    picked = [_hand_out(world), _hand_out(world)]

    assert picked == [carol, world.supervisor]


def test_round_robin_starts_after_the_last_agent_even_when_they_left_the_rotation(
    world: World,
) -> None:
    carol = make_agent("carol.agent", Role.AGENT, world.support)
    _mode(world, AssignmentMode.ROUND_ROBIN)
    assert _hand_out(world) == world.supervisor
    assert _hand_out(world) == world.agent
    DepartmentAccess.objects.filter(agent=world.agent).delete()

    assert _hand_out(world) == carol


def test_round_robin_keeps_a_separate_turn_per_department(world: World) -> None:
    both = make_agent("bea.both", Role.AGENT, world.support, world.sales)
    _mode(world, AssignmentMode.ROUND_ROBIN)
    world.sales.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.sales.save()

    assert pick_agent(department=world.support, at=AT) == world.supervisor
    assert pick_agent(department=world.sales, at=AT) == world.other_agent
    assert pick_agent(department=world.support, at=AT) == world.agent
    assert pick_agent(department=world.sales, at=AT) == both


# --- least loaded -----------------------------------------------------------------------


def test_least_loaded_picks_the_lightest_by_priority_weight_not_by_count(world: World) -> None:
    _mode(world, AssignmentMode.LEAST_LOADED)
    _give(world, world.supervisor, "Low", 3)  # weight 3, three tickets
    _give(world, world.agent, "Emergency")  # weight 4, one ticket

    assert pick_agent(department=world.support, at=AT) == world.supervisor
    loads = loads_of([world.supervisor.pk, world.agent.pk])
    assert (loads[world.supervisor.pk].weight, loads[world.supervisor.pk].count) == (3, 3)
    assert (loads[world.agent.pk].weight, loads[world.agent.pk].count) == (4, 1)


def test_least_loaded_breaks_a_tie_in_weight_by_fewer_tickets(world: World) -> None:
    _mode(world, AssignmentMode.LEAST_LOADED)
    _give(world, world.supervisor, "Normal", 2)  # weight 4, two tickets
    _give(world, world.agent, "Emergency")  # weight 4, one ticket

    assert pick_agent(department=world.support, at=AT) == world.agent


def test_least_loaded_lets_equally_loaded_agents_take_turns(world: World) -> None:
    _mode(world, AssignmentMode.LEAST_LOADED)

    # Nothing gets assigned in between, so the loads stay equal: the tie goes round.
    picked = [pick_agent(department=world.support, at=AT) for _ in range(3)]

    assert picked == [world.supervisor, world.agent, world.supervisor]


def test_least_loaded_counts_only_open_tickets(world: World) -> None:
    _mode(world, AssignmentMode.LEAST_LOADED)
    for ticket in _give(world, world.supervisor, "Emergency", 3):
        lifecycle.close(ticket, actor=world.admin)
    _give(world, world.agent, "Low")

    assert pick_agent(department=world.support, at=AT) == world.supervisor


def test_least_loaded_counts_open_tickets_of_every_department(world: World) -> None:
    both = make_agent("bea.both", Role.AGENT, world.support, world.sales)
    _mode(world, AssignmentMode.LEAST_LOADED)
    _give(world, world.supervisor, "Low")
    _give(world, world.agent, "Low")
    world.open(
        actor=world.admin,
        topic=world.sales_topic,
        priority=Priority.objects.get(name="High"),
        assignee=both,
    )

    assert pick_agent(department=world.support, at=AT) == world.supervisor


def test_least_loaded_spreads_a_stream_of_new_tickets_evenly(world: World) -> None:
    make_agent("carol.agent", Role.AGENT, world.support)
    _mode(world, AssignmentMode.LEAST_LOADED)
    _give(world, world.supervisor, "High", 2)  # starts 6 ahead

    picked = [_hand_out(world) for _ in range(9)]

    support = Agent.objects.filter(access__department=world.support)
    loads = loads_of(list(support.values_list("pk", flat=True)))
    # 9 Normal tickets (2 each) and the 2 High ones (3 each): 24, 8 apiece. Sam gets
    # one, once the others have caught up with him.
    assert sorted(load.weight for load in loads.values()) == [8, 8, 8]
    assert picked.count(world.supervisor) == 1


# --- who is eligible --------------------------------------------------------------------


def test_agents_on_vacation_are_skipped(world: World) -> None:
    world.supervisor.is_on_vacation = True
    world.supervisor.save()

    assert eligible_agents(department=world.support, team=None, at=AT) == [world.agent]


def test_inactive_agents_are_skipped(world: World) -> None:
    world.agent.user.is_active = False
    world.agent.user.save()

    assert eligible_agents(department=world.support, team=None, at=AT) == [world.supervisor]


def test_agents_without_access_to_the_department_are_skipped(world: World) -> None:
    assert eligible_agents(department=world.support, team=None, at=AT) == [
        world.supervisor,
        world.agent,
    ]
    assert eligible_agents(department=world.sales, team=None, at=AT) == [world.other_agent]


def test_administrators_are_eligible_only_where_they_have_department_access(
    world: World,
) -> None:
    assert world.admin not in eligible_agents(department=world.support, team=None, at=AT)

    DepartmentAccess.objects.create(agent=world.admin, department=world.support)

    assert world.admin in eligible_agents(department=world.support, team=None, at=AT)
    assert world.admin not in eligible_agents(department=world.sales, team=None, at=AT)


def test_agents_at_their_cap_are_skipped_until_a_ticket_closes(world: World) -> None:
    _mode(world, AssignmentMode.ROUND_ROBIN)
    world.supervisor.max_open_tickets = 2
    world.supervisor.save()
    held = _give(world, world.supervisor, "Low", 2)

    assert eligible_agents(department=world.support, team=None, at=AT) == [world.agent]
    assert [_hand_out(world), _hand_out(world)] == [world.agent, world.agent]

    lifecycle.close(held[0], actor=world.admin)

    assert _hand_out(world) == world.supervisor
    assert _hand_out(world) == world.agent  # the cap is full again


def test_agents_below_their_cap_are_eligible(world: World) -> None:
    world.agent.max_open_tickets = 3
    world.agent.save()
    _give(world, world.agent, "Emergency", 2)

    assert world.agent in eligible_agents(department=world.support, team=None, at=AT)


def test_agents_off_shift_are_skipped(world: World) -> None:
    wednesday = AT.weekday()
    _shift(world.supervisor, wednesday, "08:00", "11:00")
    _shift(world.supervisor, wednesday, "13:00", "17:00")  # a lunch break at noon
    _shift(world.agent, wednesday, "09:00", "17:00")

    assert eligible_agents(department=world.support, team=None, at=AT) == [world.agent]
    one_pm = AT.replace(hour=13)
    assert eligible_agents(department=world.support, team=None, at=one_pm) == [
        world.supervisor,
        world.agent,
    ]


def test_shifts_are_read_in_each_agents_own_time_zone(world: World) -> None:
    monday = 0
    world.agent.timezone = "America/New_York"
    world.agent.save()
    world.supervisor.timezone = "Asia/Tokyo"
    world.supervisor.save()
    _shift(world.agent, monday, "09:00", "17:00")
    _shift(world.supervisor, monday, "09:00", "17:00")

    # Monday 15:00 UTC: 10:00 Monday in New York, midnight into Tuesday in Tokyo.
    new_york_morning = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    # Monday 01:00 UTC: 10:00 Monday in Tokyo, Sunday evening in New York.
    tokyo_morning = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    assert eligible_agents(department=world.support, team=None, at=new_york_morning) == [
        world.agent
    ]
    assert eligible_agents(department=world.support, team=None, at=tokyo_morning) == [
        world.supervisor
    ]


def test_shifts_follow_the_local_clock_across_daylight_saving(world: World) -> None:
    _mode(world, AssignmentMode.ROUND_ROBIN)
    world.agent.timezone = "America/New_York"
    world.agent.save()
    _shift(world.agent, 0, "09:00", "17:00")
    world.supervisor.is_on_vacation = True
    world.supervisor.save()

    # 13:30 UTC is 08:30 EST on the Monday before the change (2026-03-08) and
    # 09:30 EDT on the Monday after it: same UTC time, the shift moved with the clock.
    before = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    after = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)

    assert pick_agent(department=world.support, at=before) is None
    assert pick_agent(department=world.support, at=after) == world.agent


# --- teams ------------------------------------------------------------------------------


def test_a_team_picks_among_its_members_with_its_own_mode(world: World) -> None:
    make_agent("carol.agent", Role.AGENT, world.support)  # in Support, not in the team
    _mode(world, AssignmentMode.ROUND_ROBIN, team=world.team)

    picked = [_hand_out(world, team=world.team) for _ in range(3)]

    assert picked == [world.supervisor, world.agent, world.supervisor]
    assert AssignmentCursor.objects.filter(scope=f"team:{world.team.pk}").exists()
    assert not AssignmentCursor.objects.filter(scope=f"department:{world.support.pk}").exists()


def test_a_team_uses_least_loaded_when_set(world: World) -> None:
    _mode(world, AssignmentMode.LEAST_LOADED, team=world.team)
    _give(world, world.supervisor, "High")

    assert pick_agent(department=world.support, team=world.team, at=AT) == world.agent


def test_team_members_without_access_to_the_department_are_skipped(world: World) -> None:
    world.team.members.add(world.other_agent)  # works in Sales only

    agents = eligible_agents(department=world.support, team=world.team, at=AT)

    assert agents == [world.supervisor, world.agent]
    assert eligible_agents(department=world.sales, team=world.team, at=AT) == [world.other_agent]


def test_a_team_without_a_mode_assigns_nobody_whatever_the_department_says(
    world: World,
) -> None:
    _mode(world, AssignmentMode.ROUND_ROBIN)

    assert pick_agent(department=world.support, team=world.team, at=AT) is None
    assert pick_agent(department=world.support, at=AT) == world.supervisor


def test_an_inactive_team_assigns_nobody(world: World) -> None:
    _mode(world, AssignmentMode.ROUND_ROBIN, team=world.team)
    world.team.is_active = False
    world.team.save()

    assert pick_agent(department=world.support, team=world.team, at=AT) is None


# --- nobody -----------------------------------------------------------------------------


def test_mode_none_assigns_nobody_and_takes_no_lock(world: World) -> None:
    assert world.support.assignment_mode == AssignmentMode.NONE

    with CaptureQueriesContext(connection) as queries:
        assert pick_agent(department=world.support, at=AT) is None

    assert len(queries) == 0
    assert not AssignmentCursor.objects.exists()


@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_nobody_eligible_gives_none_and_leaves_the_ticket_unassigned(
    world: World, mode: AssignmentMode
) -> None:
    _mode(world, mode)
    Agent.objects.filter(pk__in=[world.supervisor.pk, world.agent.pk]).update(is_on_vacation=True)

    assert _hand_out(world) is None
    assert Ticket.objects.get().assignee is None


# --- reopening: back to the last agent --------------------------------------------------


def test_is_eligible_says_whether_the_last_agent_may_take_the_ticket_back(
    world: World,
) -> None:
    assert is_eligible(world.agent, department=world.support, at=AT)
    assert not is_eligible(world.other_agent, department=world.support, at=AT)
    assert not is_eligible(world.admin, department=world.support, at=AT)

    _shift(world.agent, AT.weekday(), "13:00", "17:00")
    assert not is_eligible(world.agent, department=world.support, at=AT)
    assert is_eligible(world.agent, department=world.support, at=AT.replace(hour=14))


def test_is_eligible_reads_the_agent_fresh(world: World) -> None:
    stale = Agent.objects.get(pk=world.agent.pk)
    Agent.objects.filter(pk=world.agent.pk).update(is_on_vacation=True)

    assert not is_eligible(stale, department=world.support, at=AT)


def test_is_eligible_does_not_count_the_reopened_ticket_against_the_cap(world: World) -> None:
    world.agent.max_open_tickets = 1
    world.agent.save()
    [ticket] = _give(world, world.agent, "Normal")
    ticket = lifecycle.close(ticket, actor=world.admin)
    ticket = lifecycle.reopen(ticket, actor=world.admin)  # still assigned to Alice

    assert is_eligible(world.agent, department=world.support, at=AT, ticket=ticket)
    assert not is_eligible(world.agent, department=world.support, at=AT)


# --- cost -------------------------------------------------------------------------------


def _queries_for_a_pick(world: World) -> int:
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        pick_agent(department=world.support, at=AT)
    return len(queries)


@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_a_pick_costs_the_same_few_queries_however_many_agents(
    world: World, mode: AssignmentMode
) -> None:
    _mode(world, mode)
    _shift(world.agent, AT.weekday(), "00:00", "00:00")
    pick_agent(department=world.support, at=AT)  # creates the cursor
    few = _queries_for_a_pick(world)

    for i in range(8):
        extra = make_agent(f"extra.agent{i}", Role.AGENT, world.support)
        _shift(extra, AT.weekday(), "06:00", "20:00")
        _give(world, extra, "Low")
        extra.max_open_tickets = 5
        extra.save()
    many = _queries_for_a_pick(world)

    assert few == many
    # Lock the cursor, agents, their shifts, one grouped load count, move the cursor
    # (plus the savepoint around them where the database has savepoints).
    assert many <= 7
