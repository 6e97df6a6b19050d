"""The read side of tasks: a ticket's tasks, and an agent's "My tasks".

What each costs (pinned in helpline/ticket_tasks/tests/test_desk_pages.py):

- `of_ticket`: one query (index `task_ticket_state`), however many tasks;
- `mine`: the open tasks given to the agent or to one of their teams, by due
  time (those without one last), a page at a time: one query for the page and
  one for the count. Each branch of the OR is a range of `task_assignee_open` or
  `task_team_open`, so the cost follows the agent's open tasks, not the desk's.
- `count_mine`: the badge beside "My tasks", counted up to COUNT_CAP + 1 only.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet

from helpline.accounts.models import Agent
from helpline.ticket_tasks.models import Task, TaskState
from helpline.ticket_tasks.permissions import assigned_filter
from helpline.tickets.models import Ticket

PAGE_SIZE = 50
COUNT_CAP = 99  # the badge shows "99+" beyond

# What a row of a list of tasks shows.
ROW_RELATIONS = ("ticket", "department", "assignee__user", "team")


def of_ticket(ticket: Ticket) -> list[Task]:
    """The ticket's tasks, open ones first, each group in the order they were added."""
    tasks = list(
        Task.objects.filter(ticket_id=ticket.pk)
        .select_related("department", "assignee__user", "team")
        .order_by("-state", "created_at", "id")  # "open" sorts after "done"
    )
    for task in tasks:
        task.ticket = ticket  # the one the page has, not a query per task
    return tasks


def _mine(agent: Agent) -> QuerySet[Task]:
    return Task.objects.filter(assigned_filter(agent), state=TaskState.OPEN)


def mine(agent: Agent, page: str | int | None = 1) -> Page[Task]:
    """A page of the agent's open tasks, the soonest due first."""
    rows = (
        _mine(agent)
        .select_related(*ROW_RELATIONS)
        .order_by(F("due_at").asc(nulls_last=True), "created_at", "id")
    )
    return Paginator(rows, PAGE_SIZE).get_page(page)


def count_mine(agent: Agent) -> int:
    """How many open tasks the agent has, up to COUNT_CAP + 1."""
    return _mine(agent)[: COUNT_CAP + 1].count()
