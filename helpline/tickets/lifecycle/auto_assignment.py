"""Automatic assignment: who gets a ticket without a person choosing.

A new ticket goes to the routing rule's or help topic's fixed agent or team, then
to whoever the department's (or team's) mode picks (`assign_new`); a reopened
ticket goes back to its last agent while they are available, else the mode picks
again (`assign_reopened`); an escalation level may ask for a pick too
(`auto_assign`). When the mode names one and nobody is eligible, an
"unassignable" event says so, for the manager's alert.

`pick_agent` runs inside the lifecycle's transaction right after the ticket is
created; `None` means "leave it unassigned". `is_eligible` answers whether a
reopened ticket may go back to its last agent. (Assignment by a person, and the
checked `system_assign` these use, are in `lifecycle.assignment`.)

Who is eligible in a department (and, for a team, among its members):

- the login is active and the agent is not on vacation;
- the agent has a `DepartmentAccess` row for the department. Administrators see
  every department but are auto-assigned only where they have such a row: the row
  is how an administrator says "I work this queue", and without it a desk with
  one admin would hand them every ticket of every department;
- the agent is on shift at `at` (`helpline.accounts.availability.is_working`);
- the agent is under their cap: fewer than `max_open_tickets` open tickets assigned
  to them, across all departments (empty = no cap).

Modes (`AssignmentMode`, the team's when a team is given, else the department's):

- round robin: the eligible agents in id order, starting after the agent who got
  the scope's previous ticket, wrapping around. An agent who is skipped (off shift,
  say) simply waits for the next round; nobody's turn is "saved".
- least loaded: the lowest load, where load is the sum of `Priority.urgency` over
  the agent's open tickets in every department (an Emergency counts 4 Lows with the
  default priorities: urgent work is what fills a day). Ties go to fewer open
  tickets, then to round-robin order, so equally loaded agents take turns instead of
  the lowest id taking everything.

Fairness under concurrency: each scope ("department:<id>" or "team:<id>") has an
`AssignmentCursor` row. `pick_agent` locks it (SELECT ... FOR UPDATE) before it reads
anything else, and the lock lasts until the caller's transaction ends, after the
ticket is assigned. So concurrent picks in one scope run one after another: on
PostgreSQL (READ COMMITTED) every statement after the lock sees the assignments the
previous picker committed, the loads are current and the cursor advances exactly one
step per ticket. SQLite runs transactions IMMEDIATE, which serializes writers anyway.
Picks in different scopes that share agents (a team and a department) do not wait
for each other; their least-loaded counts can then be one ticket stale, which costs
balance by at most that ticket and never correctness.

Queries per pick are bounded whatever the number of agents: lock the cursor, the
candidate agents, their shifts, one grouped count of their open tickets, and the
cursor update (plus one insert the very first time a scope is used).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from helpline.accounts.availability import is_working
from helpline.accounts.models import (
    Agent,
    AssignmentCursor,
    AssignmentMode,
    Department,
    Team,
    available,
)
from helpline.tickets.lifecycle.assignment import system_assign
from helpline.tickets.lifecycle.core import Change
from helpline.tickets.models import EventKind, State, Ticket
from helpline.tickets.reasons import english, own


@dataclass(frozen=True)
class Load:
    """An agent's open tickets: their summed priority urgency and their number."""

    weight: int = 0
    count: int = 0


NO_LOAD = Load()


def scope_of(department: Department, team: Team | None) -> str:
    """The AssignmentCursor scope of a pick: the team's when there is one."""
    return f"team:{team.pk}" if team is not None else f"department:{department.pk}"


def _candidates(department: Department, team: Team | None) -> QuerySet[Agent]:
    """Agents who pass the row-level tests (active, not away or on vacation,
    access, team)."""
    agents = Agent.objects.filter(available(), user__is_active=True, access__department=department)
    if team is not None:
        agents = agents.filter(teams=team)
    # Shifts in the same go, so checking the schedules of many agents is one query.
    return agents.select_related("user").prefetch_related("shifts").order_by("pk")


def loads_of(agent_ids: list[int], *, exclude_ticket: int | None = None) -> dict[int, Load]:
    """{agent id: Load} of open tickets, in one grouped query (agents with none absent)."""
    if not agent_ids:
        return {}
    tickets = Ticket.objects.filter(state=State.OPEN, assignee_id__in=agent_ids)
    if exclude_ticket is not None:
        tickets = tickets.exclude(pk=exclude_ticket)
    rows = (
        tickets.order_by()
        .values("assignee_id")
        .annotate(weight=Sum("priority__urgency"), count=Count("id"))
        .values_list("assignee_id", "weight", "count")
    )
    return {agent_id: Load(weight or 0, count) for agent_id, weight, count in rows}


def _under_cap(agent: Agent, load: Load) -> bool:
    return agent.max_open_tickets is None or load.count < agent.max_open_tickets


def _eligible_with_loads(
    department: Department, team: Team | None, at: datetime
) -> tuple[list[Agent], dict[int, Load]]:
    if team is not None and not team.is_active:
        return [], {}  # the lifecycle refuses to assign to an inactive team
    on_shift = [agent for agent in _candidates(department, team) if is_working(agent, at)]
    loads = loads_of([agent.pk for agent in on_shift])
    eligible = [agent for agent in on_shift if _under_cap(agent, loads.get(agent.pk, NO_LOAD))]
    return eligible, loads


def eligible_agents(*, department: Department, team: Team | None, at: datetime) -> list[Agent]:
    """The agents who may get a ticket of `department` (and `team`) at `at`, by id."""
    return _eligible_with_loads(department, team, at)[0]


def is_eligible(
    agent: Agent, *, department: Department, at: datetime, ticket: Ticket | None = None
) -> bool:
    """May `agent` be given a ticket of `department` at `at`? (A reopened ticket goes
    back to its last agent when this holds.) `ticket`, when given, is the ticket being
    decided: it does not count toward the agent's cap, since a reopened ticket is
    already open and assigned to them."""
    # Re-read the agent: the object in hand may predate a vacation or deactivation.
    fresh = _candidates(department, None).filter(pk=agent.pk).first()
    if fresh is None or not is_working(fresh, at):
        return False
    if fresh.max_open_tickets is None:
        return True
    loads = loads_of([fresh.pk], exclude_ticket=ticket.pk if ticket is not None else None)
    return _under_cap(fresh, loads.get(fresh.pk, NO_LOAD))


def _lock_cursor(scope: str) -> AssignmentCursor:
    """The scope's cursor, locked until the caller's transaction ends."""
    cursor = AssignmentCursor.objects.select_for_update().filter(scope=scope).first()
    if cursor is None:
        # First pick in this scope. get_or_create survives a concurrent first pick:
        # the loser's insert waits for the winner and then reads the winner's row.
        AssignmentCursor.objects.get_or_create(scope=scope)
        cursor = AssignmentCursor.objects.select_for_update().get(scope=scope)
    return cursor


def lock_scopes(department: Department, teams: Iterable[Team | None] = ()) -> None:
    """Take, up front, the cursor locks that picks in these scopes would take.

    Opening a ticket calls this before it touches any queue counter, so every
    path takes a scope's cursor before the counter rows (a reopen or an escalation
    holds its ticket, then the cursor, then the counters). Taking them in the other
    order on opening deadlocked against a reopen in the same department on
    PostgreSQL. Scopes without automatic assignment take no lock (and open no
    savepoint: two statements per ticket for nothing, issue 11)."""
    chosen = {t.pk: t for t in teams if t is not None}
    scopes = []
    if department.assignment_mode != AssignmentMode.NONE:
        scopes.append(scope_of(department, None))
    scopes += [
        scope_of(department, chosen[pk])
        for pk in sorted(chosen)
        if chosen[pk].assignment_mode != AssignmentMode.NONE
    ]
    if not scopes:
        return
    with transaction.atomic():
        for scope in scopes:
            _lock_cursor(scope)


def _rotation(agents: list[Agent], last_agent_id: int | None) -> list[Agent]:
    """The agents (sorted by id) in turn order: those after the last one, then the rest."""
    last = last_agent_id or 0
    return [a for a in agents if a.pk > last] + [a for a in agents if a.pk <= last]


def pick_agent(*, department: Department, team: Team | None = None, at: datetime) -> Agent | None:
    """The agent who gets a new ticket of `department` (routed to `team`), or None.

    None when the mode is "none" or nobody is eligible. Call it inside the
    transaction that creates and assigns the ticket: the scope's cursor stays
    locked until that transaction ends, which is what makes concurrent picks fair.
    """
    mode = team.assignment_mode if team is not None else department.assignment_mode
    if mode == AssignmentMode.NONE:
        return None
    # A savepoint when the caller has a transaction (the lock then lasts until the
    # caller commits); a transaction of its own otherwise, so it still works, but
    # then two picks may hand out the same turn before either ticket is assigned.
    with transaction.atomic():
        cursor = _lock_cursor(scope_of(department, team))
        # Everything below is read after the lock, so it sees the previous picker's
        # committed assignment.
        agents, loads = _eligible_with_loads(department, team, at)
        if not agents:
            return None
        turn = _rotation(agents, cursor.last_agent_id)
        if mode == AssignmentMode.LEAST_LOADED:
            # min() keeps the first of equal keys, i.e. the next in turn among ties.
            chosen = min(turn, key=lambda a: _sort_key(loads.get(a.pk, NO_LOAD)))
        else:
            chosen = turn[0]
        cursor.last_agent = chosen
        cursor.save(update_fields=["last_agent", "updated_at"])
    return chosen


def _sort_key(load: Load) -> tuple[int, int]:
    return (load.weight, load.count)


# --- applied to a change ------------------------------------------------------------


def _mode(change: Change) -> str:
    ticket = change.ticket
    if ticket.team is not None:
        return ticket.team.assignment_mode
    return ticket.department.assignment_mode


def auto_assign(change: Change, *, why: str = "") -> None:
    """Give the unassigned ticket to an eligible agent by the scope's mode; when
    the mode names one and nobody is eligible, record that for the manager."""
    ticket = change.ticket
    mode = _mode(change)
    if mode == AssignmentMode.NONE:
        return
    agent = pick_agent(department=ticket.department, team=ticket.team, at=change.now)
    label = english(AssignmentMode(mode).label).lower()  # stored in English: reasons.py
    if agent is not None:
        system_assign(change, agent=agent, reason=why or own(f"Automatic assignment ({label})"))
        return
    scope = f"the team {ticket.team}" if ticket.team else f"{ticket.department}"
    change.event(
        EventKind.UNASSIGNABLE,
        reason=own(
            f"Nobody in {scope} is available ({label}): everyone is off shift, "
            "on vacation, inactive or at their cap."
        ),
    )


def assign_new(change: Change, *, agent: Agent | None, team: Team | None, reason: str) -> None:
    """A new ticket: the fixed agent or team named by a rule or the topic, then
    automatic assignment for whatever is still open."""
    system_assign(change, agent=agent, team=team, reason=reason)
    if change.ticket.assignee_id is None:
        auto_assign(change)


def assign_reopened(change: Change) -> None:
    """A reopened ticket stays with (goes back to) its last agent when they are
    available; otherwise automatic assignment picks again."""
    ticket = change.ticket
    if _mode(change) == AssignmentMode.NONE:
        return
    last = ticket.assignee
    if last is not None and is_eligible(
        last, department=ticket.department, at=change.now, ticket=ticket
    ):
        return
    why = own(f"{last} is not available") if last is not None else ""
    auto_assign(change, why=why)
    if last is not None and ticket.assignee_id == last.pk:
        # Nobody else either: the ticket waits in the queue rather than with
        # somebody who is away (the "no agent available" event alerts the manager).
        change.event(EventKind.RELEASED, field="agent", old=last, reason=why)
        change.set(assignee=None)
