"""What desk views share: the ticket lookup and the ticket lists' filter choices
(the agent's gate is in helpline.web.auth)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from helpline.accounts.models import Agent, Department, Team
from helpline.tickets.models import ROW_RELATIONS, Attachment, HelpTopic, Priority, Status, Ticket
from helpline.tickets.permissions import department_roles
from helpline.web.auth import current_agent


def filter_options(agent: Agent) -> dict[str, list[Any]]:
    """The choices of the ticket lists' filters (the queues and the search
    results): the `desk/_select.html` lists."""
    every = list(Department.objects.all())
    if agent.is_admin:
        departments = every
    else:
        roles = department_roles(agent)
        departments = [d for d in every if d.pk in roles]
    return {
        # The departments the agent works in (an administrator: all), and their
        # topics. A ticket of another one assigned to them is still in "All
        # departments" and "All topics".
        "departments": departments,
        # Every department: where a ticket may be transferred (a bulk action).
        "all_departments": every,
        "topics": list(
            HelpTopic.objects.all()
            if agent.is_admin
            else HelpTopic.objects.filter(department_id__in=[d.pk for d in departments])
        ),
        "priorities": list(Priority.objects.all()),
        "statuses": list(Status.objects.all()),
        "agents": list(Agent.objects.filter(user__is_active=True).select_related("user")),
        "teams": list(Team.objects.filter(is_active=True)),
    }


def get_ticket_for_agent(request: HttpRequest, number: str) -> Ticket:
    """The ticket, if the agent may see it; 404 otherwise (same as not existing)."""
    if "\x00" in number or len(number) > 20:  # PostgreSQL refuses NUL in text: a 500
        raise Http404("No such ticket")
    agent = current_agent(request)
    rows = (
        Ticket.objects.visible_to(agent)
        # The customer panel shows their organization too.
        .select_related(*ROW_RELATIONS, "customer__organization")
        .filter(number=number)
    )
    # A slice, not first(): the number is unique, and first()'s ORDER BY id made
    # Django compare the order with each of the ~200 selected columns (a third of
    # this lookup's CPU time).
    found = list(rows[:1])
    if not found:
        raise Http404("No such ticket")
    return found[0]


def get_attachment_for_agent(request: HttpRequest, number: str, attachment_id: int) -> Attachment:
    """A file of the ticket, if the agent may see the ticket; 404 otherwise. The
    download and its previews all ask here."""
    ticket = get_ticket_for_agent(request, number)
    found = list(
        Attachment.objects.select_related("entry").filter(pk=attachment_id, entry__ticket=ticket)
    )
    if not found:
        raise Http404("No such file")
    found[0].entry.ticket = ticket  # the one just read, not a query more
    return found[0]
