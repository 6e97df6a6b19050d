"""Who may do what to which ticket.

An agent's role in a ticket's department decides what they may do there:
administrators everything, everywhere; supervisors also assign to others and
transfer; agents answer, note, change status and priority, claim, release their
own assignment, resolve, close and reopen. An agent without access to the
department still works the tickets assigned to them (or to one of their teams),
with the agent role.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q

from helpline.accounts.models import Agent, Role

if TYPE_CHECKING:
    from helpline.tickets.models import Ticket


class TicketAction(StrEnum):
    VIEW = "view"
    REPLY = "reply"
    NOTE = "note"
    STATUS = "status"
    PRIORITY = "priority"
    EDIT = "edit"
    CLAIM = "claim"
    RELEASE = "release"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    SLA = "sla"  # change the SLA plan or set a due date by hand


_AGENT = frozenset(
    {
        TicketAction.VIEW,
        TicketAction.REPLY,
        TicketAction.NOTE,
        TicketAction.STATUS,
        TicketAction.PRIORITY,
        TicketAction.EDIT,
        TicketAction.CLAIM,
        TicketAction.RELEASE,
        TicketAction.RESOLVE,
        TicketAction.CLOSE,
        TicketAction.REOPEN,
        TicketAction.ESCALATE,
    }
)
ROLE_ACTIONS: dict[str, frozenset[TicketAction]] = {
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: _AGENT | {TicketAction.ASSIGN, TicketAction.TRANSFER, TicketAction.SLA},
    Role.ADMIN: frozenset(TicketAction),
}


def department_roles(agent: Agent) -> dict[int, str]:
    """{department id: role there}, read once per agent object."""
    cached: dict[int, str] | None = getattr(agent, "_department_roles", None)
    if cached is None:
        cached = {
            dept_id: (role or agent.role)
            for dept_id, role in agent.access.values_list("department_id", "role")
        }
        agent._department_roles = cached  # type: ignore[attr-defined]
    return cached


def team_ids(agent: Agent) -> set[int]:
    cached: set[int] | None = getattr(agent, "_team_ids", None)
    if cached is None:
        cached = set(agent.teams.filter(is_active=True).values_list("id", flat=True))
        agent._team_ids = cached  # type: ignore[attr-defined]
    return cached


def role_for(agent: Agent, ticket: Ticket) -> str | None:
    """The agent's role for this ticket, or None when they may not see it."""
    if not agent.user.is_active:
        return None
    if agent.is_admin:
        return Role.ADMIN
    if (role := department_roles(agent).get(ticket.department_id)) is not None:
        return role
    if ticket.assignee_id == agent.pk or (ticket.team_id and ticket.team_id in team_ids(agent)):
        return Role.AGENT
    return None


def can(agent: Agent, action: TicketAction, ticket: Ticket) -> bool:
    role = role_for(agent, ticket)
    return role is not None and action in ROLE_ACTIONS[role]


def can_in_department(agent: Agent, action: TicketAction, department_id: int) -> bool:
    """May the agent do `action` to tickets of this department (e.g. transfer into it)?"""
    if not agent.user.is_active:
        return False
    if agent.is_admin:
        return True
    role = department_roles(agent).get(department_id)
    return role is not None and action in ROLE_ACTIONS[role]


def visibility_filter(agent: Agent, prefix: str = "") -> Q:
    """The Q that limits a ticket queryset to what `agent` may see."""
    if not agent.user.is_active:
        return Q(pk__in=[])
    if agent.is_admin:
        return Q()
    q = Q(**{f"{prefix}department_id__in": list(department_roles(agent))})
    q |= Q(**{f"{prefix}assignee_id": agent.pk})
    if teams := team_ids(agent):
        q |= Q(**{f"{prefix}team_id__in": sorted(teams)})
    return q


def visibility_branches(agent: Agent) -> list[Q] | None:
    """`visibility_filter` as a list of equalities whose union it is (None: every
    ticket), for pages that read one index range per branch instead of walking a
    whole index and testing the OR on the way (helpline.tickets.keyset)."""
    if not agent.user.is_active:
        return []
    if agent.is_admin:
        return None
    branches = [Q(department_id=pk) for pk in sorted(department_roles(agent))]
    branches.append(Q(assignee_id=agent.pk))
    branches.extend(Q(team_id=pk) for pk in sorted(team_ids(agent)))
    return branches
