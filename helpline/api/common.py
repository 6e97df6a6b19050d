"""What every REST endpoint shares: the caller, scope checks, the ticket lookup
that makes invisible tickets 404, and the ticket as the API shows it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent
from helpline.api.auth import Caller
from helpline.api.inputs import BadInput
from helpline.tickets.models import ROW_RELATIONS, Attachment, Entry, Ticket

# What a ticket number can look like; anything else is not looked up at all.
TICKET_NUMBER = re.compile(r"[A-Za-z0-9-]{1,20}")
TICKET_RELATIONS = ROW_RELATIONS  # what ticket_out reads


class ApiError(Exception):
    """An answer other than 2xx: `{"detail": ..., "field": ..., **extra}`."""

    def __init__(self, status: int, detail: str, field: str | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "field": self.field, **self.extra}


def find[M: Model](
    model: type[M], pk: int | None, field: str, *, related: Sequence[str] = (), **filters: Any
) -> M | None:
    """The row with this id (None when no id was given), with the `related` rows
    read in the same query; a 422 naming the field when there is none."""
    if pk is None:
        return None
    rows = model._default_manager.filter(pk=pk, **filters)
    # select_related() with no names is deprecated (and would follow every relation).
    found = (rows.select_related(*related) if related else rows).first()
    if found is None:
        label = model._meta.verbose_name
        raise BadInput(
            _("%(field)s: there is no %(thing)s with id %(id)s.")
            % {"field": field, "thing": label, "id": pk},
            field,
        )
    return found


def need[M: Model](model: type[M], pk: int, field: str) -> M:
    found = find(model, pk, field)
    assert found is not None
    return found


_NOT_FOUND = {
    "ticket": gettext_lazy("No such ticket."),
    "customer": gettext_lazy("No such customer."),
    "attachment": gettext_lazy("No such attachment."),
}


def not_found(what: str = "ticket") -> ApiError:
    message = _NOT_FOUND.get(what)
    return ApiError(404, str(message) if message else f"No such {what}.")


def caller_of(request: HttpRequest) -> Caller:
    return cast(Caller, request.auth)  # type: ignore[attr-defined]


def agent_of(request: HttpRequest) -> Agent:
    """The agent a change is made as; operations that change tickets are guarded
    by `keys(..., agent=True)`, so there always is one."""
    agent = caller_of(request).agent
    assert agent is not None
    return agent


def visible_tickets(caller: Caller) -> QuerySet[Ticket]:
    """The tickets the caller may read: the agent's, or all for the API channel."""
    if caller.agent is not None:
        return Ticket.objects.visible_to(caller.agent)
    return Ticket.objects.all()


def get_ticket(caller: Caller, number: str) -> Ticket:
    """The ticket, if the caller may see it; 404 otherwise (same as not existing)."""
    if not TICKET_NUMBER.fullmatch(number):
        raise not_found()
    ticket = visible_tickets(caller).select_related(*TICKET_RELATIONS).filter(number=number).first()
    if ticket is None:
        raise not_found()
    return ticket


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    """The ticket as TicketOut; its relations must be loaded (TICKET_RELATIONS)."""
    customer = ticket.customer
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "state": ticket.state,
        "status": {"id": ticket.status_id, "name": ticket.status.name, "state": ticket.state},
        "priority": _ref(ticket.priority),
        "department": _ref(ticket.department),
        "topic": _ref(ticket.topic),
        "assignee": _ref(ticket.assignee),
        "team": _ref(ticket.team),
        # null, not "", for a customer without an address (CustomerRef).
        "customer": {"id": customer.pk, "name": customer.name, "email": customer.email or None},
        "source": ticket.source,
        "contact_phone": ticket.contact_phone,
        "is_overdue": ticket.is_overdue,
        "due_at": ticket.due_at,
        "sla": _ref(ticket.sla),
        "first_response_due_at": ticket.first_response_due_at,
        "first_response_at": ticket.first_response_at,
        "sla_paused": ticket.sla_paused_at is not None,
        "escalation_level": ticket.escalation_level,
        "first_response_breached": ticket.first_response_breached,
        "resolution_breached": ticket.resolution_breached,
        "due_is_manual": ticket.due_is_manual,
        "sla_from": ticket.sla_from,
        "follows": ticket.follows.number if ticket.follows_id and ticket.follows else None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "last_message_at": ticket.last_message_at,
        "last_response_at": ticket.last_response_at,
        "reopen_count": ticket.reopen_count,
        "version": ticket.version,
        "fields": ticket.extra or {},
    }


# What opening a ticket reads of its topic, in the topic's own query: its
# department, priority and plan, and the department's plan (lifecycle._place).
TOPIC_RELATIONS = ("department__sla", "priority", "sla")


def reload(ticket: Ticket) -> Ticket:
    """The ticket with the relations `ticket_out` reads, after a change."""
    return Ticket.objects.select_related(*TICKET_RELATIONS).get(pk=ticket.pk)


def attachment_out(attachment: Attachment, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse(
            "api:attachment", kwargs={"number": ticket.number, "attachment_id": attachment.pk}
        ),
    }


def entry_out(entry: Entry, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "author": entry.author_name,
        "agent_id": entry.agent_id,
        "customer_id": entry.customer_id,
        "body": entry.body,
        "source": entry.source,
        "is_resolution": entry.is_resolution,
        "created_at": entry.created_at,
        "attachments": [attachment_out(a, ticket) for a in entry.attachments.all()],
    }
