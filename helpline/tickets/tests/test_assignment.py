"""Assigning, claiming, releasing and transferring tickets."""

from __future__ import annotations

import pytest

from helpline.accounts.models import DepartmentAccess, Role, Team
from helpline.conftest import World, make_agent
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import EventKind, Ticket

from .helpers import Watch, assert_counters_true, event, fresh, last_entry, last_event, refused

# --- assign -----------------------------------------------------------------------------


def test_a_supervisor_assigns_a_ticket_to_an_agent(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.assign(
        ticket, actor=world.supervisor, agent=world.agent, reason="Knows printers"
    )

    assert ticket.assignee == world.agent
    assert watch.events() == [
        event(
            EventKind.ASSIGNED,
            world.supervisor,
            field="agent",
            new="Alice Agent",
            reason="Knows printers",
        )
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": None, "new": world.agent.pk}
    assert_counters_true()


def test_a_supervisor_assigns_a_ticket_to_a_team(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.assign(ticket, actor=world.supervisor, team=world.team)

    assert ticket.team == world.team
    assert ticket.assignee is None
    assert watch.events() == [
        event(EventKind.ASSIGNED, world.supervisor, field="team", new="Level II")
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_a_supervisor_assigns_an_agent_and_a_team_in_one_change(
    world: World, ticket: Ticket
) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)

    assert (ticket.assignee, ticket.team) == (world.agent, world.team)
    assert watch.events() == [
        event(EventKind.ASSIGNED, world.supervisor, field="agent", new="Alice Agent"),
        event(EventKind.ASSIGNED, world.supervisor, field="team", new="Level II"),
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_reassigning_records_the_previous_agent(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.assign(assigned, actor=world.supervisor, agent=world.supervisor)

    assert ticket.assignee == world.supervisor
    assert watch.events() == [
        event(
            EventKind.ASSIGNED,
            world.supervisor,
            field="agent",
            old="Alice Agent",
            new="Sam Super",
        )
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": world.agent.pk, "new": world.supervisor.pk}


def test_an_administrator_assigns_tickets_of_any_department(world: World) -> None:
    ticket = world.open(topic=world.sales_topic)

    ticket = lifecycle.assign(ticket, actor=world.admin, agent=world.other_agent)

    assert ticket.assignee == world.other_agent


def test_an_administrator_can_be_assigned_without_department_access(
    world: World, ticket: Ticket
) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.admin)

    assert ticket.assignee == world.admin


def test_a_plain_agent_cannot_assign_a_ticket_to_another_agent(
    world: World, ticket: Ticket
) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.assign(ticket, actor=world.agent, agent=world.supervisor)


def test_a_plain_agent_cannot_assign_a_ticket_to_a_team(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.assign(ticket, actor=world.agent, team=world.team)


def test_a_plain_agent_cannot_assign_themselves_together_with_a_team(
    world: World, ticket: Ticket
) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.assign(ticket, actor=world.agent, agent=world.agent, team=world.team)


def test_a_customer_cannot_assign_a_ticket(world: World, ticket: Ticket) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.assign(ticket, actor=world.customer, agent=world.agent)


def test_assigning_needs_an_agent_or_a_team(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="agent or a team"):
        lifecycle.assign(ticket, actor=world.supervisor)


def test_an_agent_without_access_to_the_department_cannot_be_assigned(
    world: World, ticket: Ticket
) -> None:
    with refused(ticket, Refused, match="no access to the Support department"):
        lifecycle.assign(ticket, actor=world.supervisor, agent=world.other_agent)


def test_an_inactive_agent_cannot_be_assigned(world: World, ticket: Ticket) -> None:
    world.agent.user.is_active = False
    world.agent.user.save()

    with refused(ticket, Refused, match="not active"):
        lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)


def test_an_inactive_team_cannot_be_assigned(world: World, ticket: Ticket) -> None:
    world.team.is_active = False
    world.team.save()

    with refused(ticket, Refused, match="not active"):
        lifecycle.assign(ticket, actor=world.supervisor, team=world.team)


def test_assigning_the_same_agent_again_is_refused(world: World, assigned: Ticket) -> None:
    with refused(assigned, Refused, match="already assigned"):
        lifecycle.assign(assigned, actor=world.supervisor, agent=world.agent)


def test_assigning_the_same_team_again_is_refused(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)

    with refused(ticket, Refused, match="already assigned"):
        lifecycle.assign(ticket, actor=world.supervisor, team=world.team)
    with refused(ticket, Refused, match="already assigned"):
        lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)


def test_assigning_a_new_team_keeps_the_agent_and_records_only_the_team(
    world: World, ticket: Ticket
) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)
    night = Team.objects.create(name="Night shift")
    watch = Watch(ticket)

    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=night)

    assert (ticket.assignee, ticket.team) == (world.agent, night)
    assert watch.events() == [
        event(EventKind.ASSIGNED, world.supervisor, field="team", old="Level II", new="Night shift")
    ]
    watch.assert_bumped(ticket)


def test_a_closed_ticket_cannot_be_assigned(world: World, closed: Ticket) -> None:
    with refused(closed, Refused, match="reopen"):
        lifecycle.assign(closed, actor=world.supervisor, agent=world.supervisor)


def test_a_resolved_ticket_cannot_be_assigned(world: World, resolved: Ticket) -> None:
    with refused(resolved, Refused, match="reopen"):
        lifecycle.assign(resolved, actor=world.supervisor, team=world.team)


# --- claim ------------------------------------------------------------------------------


def test_an_agent_claims_an_unassigned_ticket(world: World, ticket: Ticket) -> None:
    watch = Watch(ticket)

    ticket = lifecycle.claim(ticket, actor=world.agent)

    assert ticket.assignee == world.agent
    assert watch.events() == [
        event(EventKind.ASSIGNED, world.agent, field="agent", new="Alice Agent")
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_assigning_oneself_is_claiming(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.agent, agent=world.agent)

    assert ticket.assignee == world.agent


def test_claiming_a_ticket_one_already_holds_is_refused(world: World, assigned: Ticket) -> None:
    with refused(assigned, Refused, match="already assigned"):
        lifecycle.claim(assigned, actor=world.agent)


def test_a_plain_agent_cannot_claim_a_ticket_assigned_to_someone_else(
    world: World, ticket: Ticket
) -> None:
    # Taking a colleague's ticket is reassigning it: a supervisor's job. (osTicket
    # offers Claim only on unassigned tickets.) Plain agents release only their own.
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.supervisor)

    with refused(ticket, (NotAllowed, Refused)):
        lifecycle.claim(ticket, actor=world.agent)


def test_an_agent_without_access_to_the_department_cannot_claim(
    world: World, ticket: Ticket
) -> None:
    with refused(ticket, NotAllowed):
        lifecycle.claim(ticket, actor=world.other_agent)


def test_a_closed_ticket_cannot_be_claimed(world: World, closed: Ticket) -> None:
    ticket = lifecycle.release(closed, actor=world.supervisor)

    with refused(ticket, Refused):
        lifecycle.claim(ticket, actor=world.agent)


# --- release ----------------------------------------------------------------------------


def test_an_agent_releases_their_own_ticket(world: World, assigned: Ticket) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.release(assigned, actor=world.agent, reason="Going on vacation")

    assert ticket.assignee is None
    assert watch.events() == [
        event(
            EventKind.RELEASED,
            world.agent,
            field="agent",
            old="Alice Agent",
            reason="Going on vacation",
        )
    ]
    watch.assert_bumped(ticket)
    assert last_event(ticket).data == {"old": world.agent.pk}
    assert_counters_true()


def test_an_agent_cannot_release_another_agents_ticket(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.supervisor)

    with refused(ticket, NotAllowed):
        lifecycle.release(ticket, actor=world.agent)


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_a_supervisor_or_administrator_releases_another_agents_ticket(
    world: World, assigned: Ticket, who: str
) -> None:
    actor = getattr(world, who)
    watch = Watch(assigned)

    ticket = lifecycle.release(assigned, actor=actor)

    assert ticket.assignee is None
    assert watch.events() == [event(EventKind.RELEASED, actor, field="agent", old="Alice Agent")]
    watch.assert_bumped(ticket)


def test_a_plain_agent_cannot_release_the_team(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)

    with refused(ticket, NotAllowed):
        lifecycle.release(ticket, actor=world.agent, team=True)


def test_a_supervisor_releases_only_the_team(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)
    watch = Watch(ticket)

    ticket = lifecycle.release(ticket, actor=world.supervisor, agent=False, team=True)

    assert (ticket.assignee, ticket.team) == (world.agent, None)
    assert watch.events() == [
        event(EventKind.RELEASED, world.supervisor, field="team", old="Level II")
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_a_supervisor_releases_agent_and_team_in_one_change(world: World, ticket: Ticket) -> None:
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, team=world.team)
    watch = Watch(ticket)

    ticket = lifecycle.release(ticket, actor=world.supervisor, team=True)

    assert (ticket.assignee, ticket.team) == (None, None)
    assert watch.events() == [
        event(EventKind.RELEASED, world.supervisor, field="agent", old="Alice Agent"),
        event(EventKind.RELEASED, world.supervisor, field="team", old="Level II"),
    ]
    watch.assert_bumped(ticket)


def test_releasing_an_unassigned_ticket_is_refused(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="not assigned"):
        lifecycle.release(ticket, actor=world.supervisor)


# --- transfer ---------------------------------------------------------------------------


def test_an_administrator_transfers_a_ticket_and_its_assignee_without_access_is_released(
    world: World, assigned: Ticket
) -> None:
    watch = Watch(assigned)

    ticket = lifecycle.transfer(
        assigned, actor=world.admin, department=world.sales, reason="A pricing question"
    )

    assert ticket.department == world.sales
    assert ticket.assignee is None
    assert watch.events() == [
        event(
            EventKind.TRANSFERRED,
            world.admin,
            field="department",
            old="Support",
            new="Sales",
            reason="A pricing question",
        ),
        event(
            EventKind.RELEASED,
            world.admin,
            field="agent",
            old="Alice Agent",
            reason="No access to Sales",
        ),
    ]
    watch.assert_bumped(ticket)
    assert_counters_true()


def test_a_supervisor_with_access_to_both_departments_transfers_a_ticket(
    world: World, ticket: Ticket
) -> None:
    DepartmentAccess.objects.create(agent=world.supervisor, department=world.sales)
    supervisor = fresh(world.supervisor)
    watch = Watch(ticket)

    ticket = lifecycle.transfer(ticket, actor=supervisor, department=world.sales)

    assert ticket.department == world.sales
    assert watch.events() == [
        event(EventKind.TRANSFERRED, supervisor, field="department", old="Support", new="Sales")
    ]
    watch.assert_bumped(ticket)


def test_an_assignee_with_access_to_the_new_department_keeps_the_ticket(
    world: World, ticket: Ticket
) -> None:
    DepartmentAccess.objects.create(agent=world.agent, department=world.sales)
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
    watch = Watch(ticket)

    ticket = lifecycle.transfer(ticket, actor=world.admin, department=world.sales)

    assert ticket.assignee == world.agent
    assert [e.kind for e in watch.events()] == [EventKind.TRANSFERRED]


def test_an_administrator_assignee_keeps_the_ticket_after_a_transfer(
    world: World, ticket: Ticket
) -> None:
    ticket = lifecycle.assign(ticket, actor=world.admin, agent=world.admin)

    ticket = lifecycle.transfer(ticket, actor=world.admin, department=world.sales)

    assert ticket.assignee == world.admin


def test_a_supervisor_without_access_to_the_target_department_cannot_transfer(
    world: World, ticket: Ticket
) -> None:
    with refused(ticket, NotAllowed, match="Sales"):
        lifecycle.transfer(ticket, actor=world.supervisor, department=world.sales)


def test_a_plain_agent_cannot_transfer_even_with_access_to_both_departments(
    world: World, ticket: Ticket
) -> None:
    DepartmentAccess.objects.create(agent=world.agent, department=world.sales)

    with refused(ticket, NotAllowed):
        lifecycle.transfer(ticket, actor=fresh(world.agent), department=world.sales)


def test_transferring_to_the_same_department_is_refused(world: World, ticket: Ticket) -> None:
    with refused(ticket, Refused, match="already in Support"):
        lifecycle.transfer(ticket, actor=world.admin, department=world.support)


def test_an_agent_whose_access_was_taken_away_still_works_their_assigned_ticket(
    world: World, assigned: Ticket
) -> None:
    DepartmentAccess.objects.filter(agent=world.agent).delete()
    agent = fresh(world.agent)

    ticket = lifecycle.reply(assigned, actor=agent, body_html="<p>Still on it.</p>")

    assert last_entry(ticket).agent == agent


def test_a_new_supervisor_gets_the_supervisor_role_only_where_their_access_says_so(
    world: World, ticket: Ticket
) -> None:
    lead = make_agent("lea.lead", Role.AGENT, world.support)
    DepartmentAccess.objects.filter(agent=lead).update(role="supervisor")

    ticket = lifecycle.assign(ticket, actor=fresh(lead), agent=world.agent)

    assert ticket.assignee == world.agent
    sales_ticket = world.open(topic=world.sales_topic)
    DepartmentAccess.objects.create(agent=world.supervisor, department=world.sales, role="agent")
    with refused(sales_ticket, NotAllowed):
        lifecycle.assign(sales_ticket, actor=fresh(world.supervisor), agent=world.other_agent)
