"""Assignment by a person (assign, claim, release, transfer), and `system_assign`,
the checked assignment Helpline makes itself (a rule, a help topic, automatic
assignment, an escalation level). Who automatic assignment picks is decided in
`lifecycle.auto_assignment`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent, Department, Team
from helpline.tickets.lifecycle.clock import follow_plan
from helpline.tickets.lifecycle.core import (
    Actor,
    Change,
    LifecycleError,
    NotAllowed,
    Refused,
    lock_ticket,
    require_agent,
)
from helpline.tickets.models import (
    EventKind,
    Ticket,
)
from helpline.tickets.permissions import TicketAction, can_in_department
from helpline.tickets.reasons import own


def assign(
    ticket: Ticket,
    *,
    actor: Actor,
    agent: Agent | None = None,
    team: Team | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Assign to an agent and/or a team. Assigning to oneself is claiming."""
    if agent is None and team is None:
        raise Refused(_("Choose an agent or a team to assign to."))
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        claiming = (
            isinstance(actor, Agent)
            and agent is not None
            and agent.pk == actor.pk
            and team is None
            # Taking a colleague's ticket is reassigning, not claiming.
            and ticket.assignee_id in (None, actor.pk)
        )
        if claiming:
            require_agent(actor, TicketAction.CLAIM, ticket)
        else:
            require_agent(actor, TicketAction.ASSIGN, ticket)
        if not ticket.is_open:
            raise Refused(_("Closed tickets cannot be assigned; reopen it first."))
        if agent is not None:
            if not agent.user.is_active:
                raise Refused(_("%(agent)s is not active.") % {"agent": agent})
            if not agent.is_admin and not can_in_department(
                agent, TicketAction.VIEW, ticket.department_id
            ):
                raise Refused(
                    _("%(agent)s has no access to the %(department)s department.")
                    % {"agent": agent, "department": ticket.department}
                )
        if team is not None and not team.is_active:
            raise Refused(_("The team %(team)s is not active.") % {"team": team})
        change = Change(ticket, actor)
        if agent is not None and agent.pk != ticket.assignee_id:
            change.event(
                EventKind.ASSIGNED,
                field="agent",
                old=ticket.assignee,
                new=agent,
                reason=reason,
            )
            change.set(assignee=agent)
        if team is not None and team.pk != ticket.team_id:
            change.event(
                EventKind.ASSIGNED,
                field="team",
                old=ticket.team,
                new=team,
                reason=reason,
            )
            change.set(team=team)
        if not change.events:
            raise Refused(_("The ticket is already assigned that way."))
        return change.save()


def claim(ticket: Ticket, *, actor: Agent, expected_version: int | None = None) -> Ticket:
    return assign(ticket, actor=actor, agent=actor, expected_version=expected_version)


def claim_next(candidates: Iterable[Ticket], *, actor: Agent) -> Ticket | None:
    """The first of `candidates` (in the caller's order: the unassigned queue by
    due time) that `actor` claims, or None. Each is claimed at the version it was
    read at, so of two agents who press "Next ticket" at once, one claims it and
    the other's claim is refused as a conflict (the conditional UPDATE of
    `lock_ticket`) and goes on to the next: nobody gets a ticket twice. A ticket
    the agent may not claim, or one gone to somebody meanwhile, is passed over."""
    for ticket in candidates:
        try:
            return claim(ticket, actor=actor, expected_version=ticket.version)
        except LifecycleError:
            continue
    return None


def release(
    ticket: Ticket,
    *,
    actor: Actor,
    agent: bool = True,
    team: bool = False,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Take the ticket away from its agent (and/or team) back to the unassigned pool."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        releasing_self = isinstance(actor, Agent) and ticket.assignee_id == actor.pk and not team
        require_agent(
            actor, TicketAction.RELEASE if releasing_self else TicketAction.ASSIGN, ticket
        )
        change = Change(ticket, actor)
        if agent and ticket.assignee_id:
            change.event(
                EventKind.RELEASED,
                field="agent",
                old=ticket.assignee,
                reason=reason,
            )
            change.set(assignee=None)
        if team and ticket.team_id:
            change.event(
                EventKind.RELEASED,
                field="team",
                old=ticket.team,
                reason=reason,
            )
            change.set(team=None)
        if not change.events:
            raise Refused(_("The ticket is not assigned."))
        return change.save()


def transfer(
    ticket: Ticket,
    *,
    actor: Actor,
    department: Department,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket to another department. An assignee without access there is
    released, so the ticket never sits with somebody who cannot see it."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        agent = require_agent(actor, TicketAction.TRANSFER, ticket)
        if department.pk == ticket.department_id:
            raise Refused(
                _("The ticket is already in %(department)s.") % {"department": department}
            )
        if not agent.is_admin and not can_in_department(agent, TicketAction.VIEW, department.pk):
            raise NotAllowed(
                _("You have no access to the %(department)s department.")
                % {"department": department}
            )
        change = Change(ticket, actor)
        apply_transfer(change, department, reason)
        return change.save()


def apply_transfer(change: Change, department: Department, reason: str) -> None:
    """Move to `department`; release an assignee without access there, and follow
    the department's SLA plan when the plan came from the department."""
    ticket = change.ticket
    change.event(
        EventKind.TRANSFERRED,
        field="department",
        old=ticket.department,
        new=department,
        reason=reason,
    )
    change.set(department=department)
    assignee = ticket.assignee
    if (
        assignee is not None
        and not assignee.is_admin
        and not can_in_department(assignee, TicketAction.VIEW, department.pk)
    ):
        change.event(
            EventKind.RELEASED,
            field="agent",
            old=assignee,
            reason=own(f"No access to {department}"),
        )
        change.set(assignee=None)
    follow_plan(change)


def system_assign(
    change: Change, *, agent: Agent | None = None, team: Team | None = None, reason: str
) -> None:
    """Assignment made by Helpline itself (a rule, a help topic, automatic
    assignment, an escalation level): no permission check, but never to an
    inactive team or to an agent who could not see the ticket."""
    ticket = change.ticket
    if team is not None and team.is_active and team.pk != ticket.team_id:
        change.event(EventKind.ASSIGNED, field="team", old=ticket.team, new=team, reason=reason)
        change.set(team=team)
    if agent is not None and agent.pk != ticket.assignee_id:
        if _may_hold(agent, ticket):
            change.event(
                EventKind.ASSIGNED, field="agent", old=ticket.assignee, new=agent, reason=reason
            )
            change.set(assignee=agent)
        else:
            # Said in the timeline (and to the manager), never skipped in silence.
            change.event(
                EventKind.UNASSIGNABLE,
                field="agent",
                old=agent,
                reason=own(
                    f"{reason}: {agent} cannot take it (inactive or no access to "
                    f"{ticket.department})"
                ),
            )


def _may_hold(agent: Agent, ticket: Ticket) -> bool:
    return agent.is_active and (
        agent.is_admin or can_in_department(agent, TicketAction.VIEW, ticket.department_id)
    )
