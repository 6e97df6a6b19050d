"""Changing tickets: reply, note, assign, claim, release, transfer, status,
priority, resolve, close, reopen, escalate, due date and SLA plan. Each endpoint
reads its input, calls one lifecycle function as the caller's agent, and answers
with the ticket.

Answers: 200 with the changed ticket; 403 when the key may not change tickets or
the agent may not do this to this ticket; 404 when the agent may not see it;
409 with `current_version` when the ticket changed since `expected_version`
(field "expected_version") or the change is impossible in its current state;
422 for input that names nothing usable (the field says which).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from helpline.accounts.models import Agent, Department, Team
from helpline.api.common import (
    ApiError,
    agent_of,
    caller_of,
    find,
    get_ticket,
    need,
    reload,
    ticket_out,
)
from helpline.api.inputs import BadInput
from helpline.api.models import Scope
from helpline.api.routers.tickets import prepared_body, uploads_from
from helpline.api.schemas import (
    AssignIn,
    ConflictOut,
    DueIn,
    ErrorOut,
    EscalateIn,
    NoteIn,
    PlanIn,
    PriorityIn,
    ReasonIn,
    ReplyIn,
    ResolveIn,
    StatusIn,
    TicketOut,
    TransferIn,
    VersionIn,
)
from helpline.api.security import keys
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import Priority, State, Status, Ticket

# Every change needs the write scope and an agent to act as, checked before the
# input is read, so a key that may not change tickets always hears so.
router = Router(tags=["ticket changes"], auth=keys(Scope.WRITE, agent=True))

ANSWERS: dict[int, Any] = {
    200: TicketOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
    422: ErrorOut,
}
Change = Callable[[Ticket, Agent], Ticket]


def _change(request: HttpRequest, number: str, run: Change) -> dict[str, Any]:
    """Find the ticket (404 if the agent may not see it), then let `run` read its
    input and make one lifecycle change as the agent. Refusals become 403 (not
    allowed) or 409 (version conflict, or impossible right now)."""
    ticket = get_ticket(caller_of(request), number)
    try:
        changed = run(ticket, agent_of(request))
    except lifecycle.Conflict as error:
        raise ApiError(
            409, error.message, "expected_version", current_version=error.ticket.version
        ) from None
    except lifecycle.NotAllowed as error:
        raise ApiError(403, error.message) from None
    except lifecycle.Refused as error:
        current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first()
        raise ApiError(409, error.message, current_version=current or ticket.version) from None
    return ticket_out(reload(changed))


@router.post("/{number}/reply", response=ANSWERS, summary="Reply to the customer")
def reply(request: HttpRequest, number: str, payload: ReplyIn) -> dict[str, Any]:
    """A reply the customer sees. Replying to an unassigned ticket claims it."""

    def run(ticket: Ticket, agent: Agent) -> Ticket:
        uploads = uploads_from(payload.attachments)
        body = prepared_body(payload.body, payload.format, "body", uploads)
        status = find(Status, payload.status_id, "status_id")
        if status is not None and status.state != State.OPEN:
            message = _("status_id: a reply can move the ticket only to an open status.")
            raise BadInput(message, "status_id")
        return lifecycle.reply(
            ticket,
            actor=agent,
            body_html=body,
            status=status,
            source="api",
            expected_version=payload.expected_version,
        )

    return _change(request, number, run)


@router.post("/{number}/notes", response=ANSWERS, summary="Add an internal note")
def add_note(request: HttpRequest, number: str, payload: NoteIn) -> dict[str, Any]:
    def run(ticket: Ticket, agent: Agent) -> Ticket:
        uploads = uploads_from(payload.attachments)
        body = prepared_body(payload.body, payload.format, "body", uploads)
        return lifecycle.add_note(ticket, actor=agent, body_html=body, source="api")

    return _change(request, number, run)


@router.post("/{number}/assign", response=ANSWERS, summary="Assign to an agent and/or a team")
def assign(request: HttpRequest, number: str, payload: AssignIn) -> dict[str, Any]:
    def run(ticket: Ticket, agent: Agent) -> Ticket:
        if payload.agent_id is None and payload.team_id is None:
            raise BadInput(_("agent_id: give an agent_id, a team_id or both."), "agent_id")
        return lifecycle.assign(
            ticket,
            actor=agent,
            agent=find(Agent, payload.agent_id, "agent_id"),
            team=find(Team, payload.team_id, "team_id"),
            reason=payload.reason,
            expected_version=payload.expected_version,
        )

    return _change(request, number, run)


@router.post("/{number}/claim", response=ANSWERS, summary="Assign to yourself")
def claim(request: HttpRequest, number: str, payload: VersionIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.claim(t, actor=a, expected_version=payload.expected_version),
    )


@router.post("/{number}/release", response=ANSWERS, summary="Back to the unassigned queue")
def release(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.release(
            t,
            actor=a,
            agent=True,
            team=bool(t.team_id),
            reason=payload.reason,
            expected_version=payload.expected_version,
        ),
    )


@router.post("/{number}/transfer", response=ANSWERS, summary="Move to another department")
def transfer(request: HttpRequest, number: str, payload: TransferIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.transfer(
            t,
            actor=a,
            department=need(Department, payload.department_id, "department_id"),
            reason=payload.reason,
            expected_version=payload.expected_version,
        ),
    )


@router.post("/{number}/status", response=ANSWERS, summary="Change the (open) status")
def change_status(request: HttpRequest, number: str, payload: StatusIn) -> dict[str, Any]:
    """Move an open ticket among the open statuses; use resolve, close and reopen
    to leave or re-enter the open state."""

    def run(ticket: Ticket, agent: Agent) -> Ticket:
        status = need(Status, payload.status_id, "status_id")
        if status.state != State.OPEN:
            message = _("status_id: “%(status)s” is not an open status; use resolve or close.") % {
                "status": status
            }
            raise BadInput(message, "status_id")
        return lifecycle.change_status(
            ticket,
            actor=agent,
            status=status,
            reason=payload.reason,
            expected_version=payload.expected_version,
        )

    return _change(request, number, run)


@router.post("/{number}/priority", response=ANSWERS, summary="Change the priority")
def change_priority(request: HttpRequest, number: str, payload: PriorityIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.change_priority(
            t,
            actor=a,
            priority=need(Priority, payload.priority_id, "priority_id"),
            reason=payload.reason,
            expected_version=payload.expected_version,
        ),
    )


@router.post("/{number}/resolve", response=ANSWERS, summary="Resolve, with an explanation")
def resolve(request: HttpRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    """The explanation is a reply the customer sees, marked as the resolution."""

    def run(ticket: Ticket, agent: Agent) -> Ticket:
        uploads = uploads_from(payload.attachments)
        explanation = prepared_body(
            payload.explanation, payload.format, "explanation", uploads, require_text=True
        )
        return lifecycle.resolve(
            ticket,
            actor=agent,
            explanation_html=explanation,
            expected_version=payload.expected_version,
        )

    return _change(request, number, run)


@router.post("/{number}/close", response=ANSWERS, summary="Close")
def close(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.close(
            t, actor=a, reason=payload.reason, expected_version=payload.expected_version
        ),
    )


@router.post("/{number}/reopen", response=ANSWERS, summary="Reopen")
def reopen(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    return _change(
        request,
        number,
        lambda t, a: lifecycle.reopen(
            t, actor=a, reason=payload.reason, expected_version=payload.expected_version
        ),
    )


@router.post("/{number}/escalate", response=ANSWERS, summary="Escalate, with a reason")
def escalate(request: HttpRequest, number: str, payload: EscalateIn) -> dict[str, Any]:
    """Fires the next level of the ticket's escalation policy now."""
    return _change(
        request,
        number,
        lambda t, a: lifecycle.escalate(
            t, actor=a, reason=payload.reason, expected_version=payload.expected_version
        ),
    )


@router.post("/{number}/due", response=ANSWERS, summary="Set the due date by hand")
def set_due(request: HttpRequest, number: str, payload: DueIn) -> dict[str, Any]:
    if payload.due_at is not None and payload.due_at.tzinfo is None:
        raise ApiError(
            422, _("due_at: give a time zone offset, e.g. 2026-12-01T17:00+01:00."), "due_at"
        )
    return _change(
        request,
        number,
        lambda t, a: lifecycle.set_due(
            t,
            actor=a,
            due_at=payload.due_at,
            reason=payload.reason,
            expected_version=payload.expected_version,
        ),
    )


@router.post("/{number}/sla-plan", response=ANSWERS, summary="Put the ticket on an SLA plan")
def set_plan(request: HttpRequest, number: str, payload: PlanIn) -> dict[str, Any]:
    plan = need(SLAPlan, payload.sla_plan_id, "sla_plan_id") if payload.sla_plan_id else None
    return _change(
        request,
        number,
        lambda t, a: lifecycle.set_plan(
            t, actor=a, plan=plan, reason=payload.reason, expected_version=payload.expected_version
        ),
    )
