"""Who gets a ticket without a person choosing: a routing rule's or help topic's
fixed agent or team, else the department's (or team's) automatic assignment, and
for a reopened ticket its last agent while they are available.

The strategies themselves (eligibility, round robin, least loaded, the fairness
lock) live in `helpline.automation.assignment`; here they are applied to a change
and recorded as events, with "no agent available" recorded for the manager's alert.
"""

from __future__ import annotations

from helpline.accounts.models import Agent, AssignmentMode, Team
from helpline.automation.assignment import is_eligible, pick_agent
from helpline.tickets.lifecycle.assignment import _system_assign
from helpline.tickets.lifecycle.core import _Change
from helpline.tickets.models import EventKind


def _mode(change: _Change) -> str:
    ticket = change.ticket
    if ticket.team is not None:
        return ticket.team.assignment_mode
    return ticket.department.assignment_mode


def _auto_assign(change: _Change, *, why: str = "") -> None:
    """Give the unassigned ticket to an eligible agent by the scope's mode; when
    the mode names one and nobody is eligible, record that for the manager."""
    ticket = change.ticket
    mode = _mode(change)
    if mode == AssignmentMode.NONE:
        return
    agent = pick_agent(department=ticket.department, team=ticket.team, at=change.now)
    label = AssignmentMode(mode).label.lower()
    if agent is not None:
        _system_assign(change, agent=agent, reason=why or f"Automatic assignment ({label})")
        return
    scope = f"the team {ticket.team}" if ticket.team else f"{ticket.department}"
    change.event(
        EventKind.UNASSIGNABLE,
        reason=f"Nobody in {scope} is available ({label}): everyone is off shift, "
        "on vacation, inactive or at their cap.",
    )


def _assign_new(change: _Change, *, agent: Agent | None, team: Team | None, reason: str) -> None:
    """A new ticket: the fixed agent or team named by a rule or the topic, then
    automatic assignment for whatever is still open."""
    _system_assign(change, agent=agent, team=team, reason=reason)
    if change.ticket.assignee_id is None:
        _auto_assign(change)


def _assign_reopened(change: _Change) -> None:
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
    why = f"{last} is not available" if last is not None else ""
    _auto_assign(change, why=why)
    if last is not None and ticket.assignee_id == last.pk:
        # Nobody else either: the ticket waits in the queue rather than with
        # somebody who is away (the "no agent available" event alerts the manager).
        change.event(EventKind.RELEASED, field="agent", old=last, reason=why)
        change.set(assignee=None)
