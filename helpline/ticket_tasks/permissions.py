"""Who may see and do what with a task.

A task follows its ticket, and adds the people whose work it is:

- whoever may edit the ticket (helpline.tickets.permissions: every role with
  access to its department, and the ticket's own assignee) *manages* its tasks:
  adds them, edits, assigns, finishes and reopens them, writes notes;
- whoever the task is for *works* it, even without access to the ticket's
  department: its assignee, the members of its team, and the agents of its
  department. They see it (with its ticket's number and subject), write notes,
  mark it done and reopen it;
- nobody else sees it: the desk answers 404, as for a ticket.

The checks read the agent's departments and teams once per agent object (the
caches of helpline.tickets.permissions), so a list of tasks costs no query per row.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q

from helpline.accounts.models import Agent
from helpline.ticket_tasks.models import Task
from helpline.tickets.models import Ticket
from helpline.tickets.permissions import TicketAction, can, department_roles, team_ids


class TaskRole(StrEnum):
    MANAGE = "manage"
    WORK = "work"


def role_for(agent: Agent, task: Task) -> TaskRole | None:
    """The agent's part in the task, or None when they may not see it."""
    if not agent.user.is_active:
        return None
    if can(agent, TicketAction.EDIT, task.ticket):
        return TaskRole.MANAGE
    if task.assignee_id == agent.pk:
        return TaskRole.WORK
    if task.team_id is not None and task.team_id in team_ids(agent):
        return TaskRole.WORK
    if task.department_id in department_roles(agent):
        return TaskRole.WORK
    return None


def may_view(agent: Agent, task: Task) -> bool:
    return role_for(agent, task) is not None


def may_manage(agent: Agent, task: Task) -> bool:
    return role_for(agent, task) == TaskRole.MANAGE


def may_add(agent: Agent, ticket: Ticket) -> bool:
    """May the agent add tasks to this ticket?"""
    return agent.user.is_active and can(agent, TicketAction.EDIT, ticket)


def assigned_filter(agent: Agent) -> Q:
    """The tasks given to the agent: to them, or to one of their teams ("My tasks")."""
    q = Q(assignee_id=agent.pk)
    if teams := team_ids(agent):
        q |= Q(team_id__in=sorted(teams))
    return q
