"""Who may do what: customers, the outsider, agents of another department, supervisors,
administrators, inactive people; and which tickets each agent sees."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpline.accounts.models import Agent, DepartmentAccess
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import NotAllowed, Refused
from helpline.tickets.models import Priority, Ticket
from helpline.tickets.permissions import TicketAction, can

from .helpers import Watch, fresh, last_entry, refused

Change = Callable[[World, Ticket, object], Ticket]

# Every lifecycle change an agent may ask for, on a ticket where it makes sense.
CHANGES: dict[str, Change] = {
    "claim": lambda w, t, a: lifecycle.claim(t, actor=a),  # type: ignore[arg-type]
    "assign": lambda w, t, a: lifecycle.assign(t, actor=a, agent=w.supervisor),  # type: ignore[arg-type]
    "assign_team": lambda w, t, a: lifecycle.assign(t, actor=a, team=w.team),  # type: ignore[arg-type]
    "release": lambda w, t, a: lifecycle.release(t, actor=a),  # type: ignore[arg-type]
    "transfer": lambda w, t, a: lifecycle.transfer(t, actor=a, department=w.sales),  # type: ignore[arg-type]
    "reply": lambda w, t, a: lifecycle.reply(t, actor=a, body_html="<p>Hi</p>"),  # type: ignore[arg-type]
    "note": lambda w, t, a: lifecycle.add_note(t, actor=a, body_html="<p>Hm</p>"),  # type: ignore[arg-type]
    "status": lambda w, t, a: lifecycle.change_status(
        t,
        actor=a,  # type: ignore[arg-type]
        status=w.status("On Hold"),
    ),
    "priority": lambda w, t, a: lifecycle.change_priority(
        t,
        actor=a,  # type: ignore[arg-type]
        priority=Priority.objects.get(name="High"),
    ),
    "edit": lambda w, t, a: lifecycle.edit(t, actor=a, subject="Toner leak"),  # type: ignore[arg-type]
    "resolve": lambda w, t, a: lifecycle.resolve(t, actor=a, explanation_html="<p>Done</p>"),  # type: ignore[arg-type]
    "close": lambda w, t, a: lifecycle.close(t, actor=a),  # type: ignore[arg-type]
    "reopen": lambda w, t, a: lifecycle.reopen(t, actor=a),  # type: ignore[arg-type]
}


def prepared(world: World, change: str, assignee: Agent) -> Ticket:
    """A Support ticket assigned to `assignee`, closed first when the change is reopening."""
    ticket = world.open()
    if assignee.pk not in set(world.support.access.values_list("agent_id", flat=True)):
        DepartmentAccess.objects.create(agent=assignee, department=world.support)
        ticket = lifecycle.assign(ticket, actor=world.admin, agent=fresh(assignee))
        DepartmentAccess.objects.filter(agent=assignee, department=world.support).delete()
    else:
        ticket = lifecycle.assign(ticket, actor=world.admin, agent=assignee)
    if change == "reopen":
        ticket = lifecycle.close(ticket, actor=world.admin)
    return ticket


def assert_allowed(world: World, ticket: Ticket, change: str, actor: object) -> None:
    watch = Watch(ticket)
    changed = CHANGES[change](world, ticket, actor)
    watch.assert_bumped(changed)
    assert watch.events(), "an allowed change leaves an event"


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("who", ["customer", "outsider"])
def test_customers_cannot_use_agent_changes(world: World, change: str, who: str) -> None:
    ticket = prepared(world, change, world.agent)

    with refused(ticket, NotAllowed):
        CHANGES[change](world, ticket, getattr(world, who))


@pytest.mark.parametrize("change", CHANGES)
def test_an_agent_of_another_department_cannot_touch_its_tickets(world: World, change: str) -> None:
    ticket = prepared(world, change, world.agent)

    with refused(ticket, NotAllowed):
        CHANGES[change](world, ticket, world.other_agent)


@pytest.mark.parametrize("change", CHANGES)
def test_an_inactive_administrator_can_do_nothing(world: World, change: str) -> None:
    ticket = prepared(world, change, world.agent)
    world.admin.user.is_active = False
    world.admin.user.save()

    with refused(ticket, NotAllowed):
        CHANGES[change](world, ticket, fresh(world.admin))


@pytest.mark.parametrize("who", ["supervisor", "agent"])
def test_an_inactive_agent_cannot_work_even_their_own_ticket(world: World, who: str) -> None:
    actor = getattr(world, who)
    ticket = prepared(world, "reply", actor)
    actor.user.is_active = False
    actor.user.save()

    for change in ("reply", "note", "release", "resolve"):
        with refused(ticket, NotAllowed):
            CHANGES[change](world, ticket, fresh(actor))


@pytest.mark.parametrize("change", CHANGES)
def test_an_administrator_can_do_everything(world: World, change: str) -> None:
    ticket = prepared(world, change, world.agent)

    assert_allowed(world, ticket, change, world.admin)


@pytest.mark.parametrize("change", sorted(set(CHANGES) - {"transfer"}))
def test_a_supervisor_can_do_everything_in_their_department(world: World, change: str) -> None:
    ticket = prepared(world, change, world.agent)

    assert_allowed(world, ticket, change, world.supervisor)


# A plain agent on a colleague's ticket. Claiming it is covered in test_assignment.
PLAIN_AGENT_MAY = ["reply", "note", "status", "priority", "edit", "resolve", "close", "reopen"]
PLAIN_AGENT_MAY_NOT = ["assign", "assign_team", "release", "transfer"]


@pytest.mark.parametrize("change", PLAIN_AGENT_MAY)
def test_a_plain_agent_works_a_colleagues_ticket(world: World, change: str) -> None:
    ticket = prepared(world, change, world.supervisor)

    assert_allowed(world, ticket, change, world.agent)


@pytest.mark.parametrize("change", PLAIN_AGENT_MAY_NOT)
def test_a_plain_agent_cannot_assign_release_or_transfer_a_colleagues_ticket(
    world: World, change: str
) -> None:
    ticket = prepared(world, change, world.supervisor)

    with refused(ticket, NotAllowed):
        CHANGES[change](world, ticket, world.agent)


# The agent of another department, once a ticket is theirs (their access to the
# department was taken away after it was assigned), works it with the agent role.
ASSIGNEE_MAY = ["release", "reply", "note", "status", "priority", "edit", "resolve", "close"]


@pytest.mark.parametrize("change", [*ASSIGNEE_MAY, "reopen"])
def test_an_agent_of_another_department_works_a_ticket_assigned_to_them(
    world: World, change: str
) -> None:
    ticket = prepared(world, change, world.other_agent)

    assert_allowed(world, ticket, change, fresh(world.other_agent))


@pytest.mark.parametrize("change", ["assign", "assign_team", "transfer"])
def test_an_agent_of_another_department_cannot_reassign_a_ticket_assigned_to_them(
    world: World, change: str
) -> None:
    ticket = prepared(world, change, world.other_agent)

    with refused(ticket, NotAllowed):
        CHANGES[change](world, ticket, fresh(world.other_agent))


def test_an_agent_of_another_department_replies_once_the_ticket_is_assigned_to_them(
    world: World,
) -> None:
    ticket = world.open()
    with refused(ticket, NotAllowed):
        lifecycle.reply(ticket, actor=world.other_agent, body_html="<p>Hi</p>")

    ticket = prepared(world, "reply", world.other_agent)
    ticket = lifecycle.reply(ticket, actor=fresh(world.other_agent), body_html="<p>Hi</p>")

    assert last_entry(ticket).agent == world.other_agent


def test_a_team_member_without_department_access_works_the_teams_ticket(world: World) -> None:
    world.team.members.add(world.other_agent)
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, team=world.team)

    ticket = lifecycle.add_note(ticket, actor=fresh(world.other_agent), body_html="<p>Mine</p>")

    assert last_entry(ticket).agent == world.other_agent


def test_a_member_of_an_inactive_team_gets_nothing_from_the_team(world: World) -> None:
    world.team.members.add(world.other_agent)
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, team=world.team)
    world.team.is_active = False
    world.team.save()

    with refused(ticket, NotAllowed):
        lifecycle.add_note(ticket, actor=fresh(world.other_agent), body_html="<p>Mine</p>")


def test_the_customer_writes_only_on_their_own_tickets(world: World) -> None:
    mine = world.open()
    theirs = world.open(actor=world.outsider, customer=world.outsider)

    lifecycle.customer_reply(mine, actor=world.customer, body_html="<p>Any news?</p>")
    with refused(theirs, NotAllowed):
        lifecycle.customer_reply(theirs, actor=world.customer, body_html="<p>Any news?</p>")


@pytest.mark.parametrize("who", ["admin", "supervisor", "agent", "other_agent"])
def test_no_agent_writes_a_customer_message(world: World, who: str) -> None:
    ticket = world.open()

    with refused(ticket, NotAllowed):
        lifecycle.customer_reply(ticket, actor=getattr(world, who), body_html="<p>Hi</p>")


def test_a_department_role_overrides_the_agents_own_role(world: World) -> None:
    DepartmentAccess.objects.filter(agent=world.agent, department=world.support).update(
        role="supervisor"
    )
    ticket = world.open()

    ticket = lifecycle.assign(ticket, actor=fresh(world.agent), agent=world.supervisor)

    assert ticket.assignee == world.supervisor
    DepartmentAccess.objects.filter(agent=world.supervisor, department=world.support).update(
        role="agent"
    )
    with refused(ticket, NotAllowed):
        lifecycle.assign(ticket, actor=fresh(world.supervisor), agent=world.agent)


# --- visibility -------------------------------------------------------------------------


@pytest.fixture
def tickets(world: World) -> dict[str, Ticket]:
    """One ticket per way of being seen."""
    support = world.open("Support, nobody's")
    sales = world.open("Sales, nobody's", topic=world.sales_topic)
    sales_team = lifecycle.assign(
        world.open("Sales, Level II's", topic=world.sales_topic), actor=world.admin, team=world.team
    )
    sales_alice = world.open("Sales, Alice's", topic=world.sales_topic)
    DepartmentAccess.objects.create(agent=world.agent, department=world.sales)
    sales_alice = lifecycle.assign(sales_alice, actor=world.admin, agent=fresh(world.agent))
    DepartmentAccess.objects.filter(agent=world.agent, department=world.sales).delete()
    return {
        "support": support,
        "sales": sales,
        "sales_team": sales_team,
        "sales_alice": sales_alice,
    }


def visible(agent: Agent) -> set[str]:
    return set(Ticket.objects.visible_to(fresh(agent)).values_list("subject", flat=True))


def names(tickets: dict[str, Ticket], *keys: str) -> set[str]:
    return {tickets[k].subject for k in keys}


def test_an_administrator_sees_every_ticket(world: World, tickets: dict[str, Ticket]) -> None:
    assert visible(world.admin) == names(tickets, *tickets)


def test_an_agent_sees_their_departments_their_own_and_their_teams_tickets(
    world: World, tickets: dict[str, Ticket]
) -> None:
    assert visible(world.supervisor) == names(tickets, "support", "sales_team")
    assert visible(world.agent) == names(tickets, "support", "sales_team", "sales_alice")
    assert visible(world.other_agent) == names(tickets, "sales", "sales_team", "sales_alice")


def test_an_inactive_team_shows_its_members_nothing_more(
    world: World, tickets: dict[str, Ticket]
) -> None:
    world.team.is_active = False
    world.team.save()

    assert visible(world.supervisor) == names(tickets, "support")
    assert visible(world.agent) == names(tickets, "support", "sales_alice")


@pytest.mark.parametrize("who", ["admin", "supervisor", "agent", "other_agent"])
def test_an_inactive_agent_sees_nothing(world: World, tickets: dict[str, Ticket], who: str) -> None:
    agent = getattr(world, who)
    agent.user.is_active = False
    agent.user.save()

    assert visible(agent) == set()


def test_an_agent_with_no_department_sees_only_what_is_assigned_to_them(
    world: World, tickets: dict[str, Ticket]
) -> None:
    DepartmentAccess.objects.filter(agent=world.supervisor).delete()
    world.team.members.remove(world.supervisor)

    assert visible(world.supervisor) == set()


@pytest.mark.parametrize("who", ["admin", "supervisor", "agent", "other_agent"])
def test_the_visible_tickets_are_exactly_those_the_agent_may_view(
    world: World, tickets: dict[str, Ticket], who: str
) -> None:
    agent = fresh(getattr(world, who))
    every = Ticket.objects.all()

    assert set(Ticket.objects.visible_to(agent)) == {
        t for t in every if can(agent, TicketAction.VIEW, t)
    }


def test_a_refusal_carries_a_message_that_can_be_shown_as_is(world: World) -> None:
    ticket = world.open()
    with pytest.raises(lifecycle.LifecycleError) as info:
        lifecycle.reply(ticket, actor=world.other_agent, body_html="<p>x</p>")
    assert info.value.message == "You are not allowed to do that on this ticket."
    assert not isinstance(info.value, Refused)
