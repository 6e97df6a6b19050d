"""The ticket page's "Tasks" card reads its tasks here, so the desk's ticket view
needs no change for it: one query (`queries.of_ticket`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from helpline.ticket_tasks import queries
from helpline.ticket_tasks.permissions import may_add
from helpline.tickets.models import State, Ticket

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_tasks(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The ticket's tasks, how many are open, and whether the viewer may add and
    finish them (whoever may see the ticket on the desk may, on an open ticket)."""
    agent = context.get("current_agent")
    tasks = queries.of_ticket(ticket)
    writable = agent is not None and ticket.state == State.OPEN and may_add(agent, ticket)
    return {
        "tasks": tasks,
        "open_count": sum(1 for t in tasks if t.is_open),
        "may_add": writable,
        "may_finish": agent is not None
        and ticket.state != State.ARCHIVED
        and may_add(agent, ticket),
        "now": timezone.now(),
    }


@register.filter
def overdue(task: Any, now: Any) -> bool:
    """An open task past its due time."""
    return bool(task.is_open and task.due_at is not None and task.due_at < now)
