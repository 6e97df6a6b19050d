"""Status, priority, subject and topic; resolve, close, reopen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from helpline.accounts.models import Department
from helpline.tickets import deadlines
from helpline.tickets.lifecycle.auto_assignment import assign_reopened
from helpline.tickets.lifecycle.clock import (
    DERIVED_PLAN_SOURCES,
    follow_plan,
    plan_for,
    record_answer,
    restart_clock,
    status_moved,
    timing,
)
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    Change,
    Refused,
    Upload,
    add_entry,
    lock_ticket,
    prepare_body,
    refuse_archived,
    require_agent,
    status_for,
)
from helpline.tickets.lifecycle.hooks import refuse_closing
from helpline.tickets.models import (
    EntryKind,
    EventKind,
    HelpTopic,
    Priority,
    State,
    Status,
    StatusPurpose,
    Ticket,
    TopicField,
)
from helpline.tickets.permissions import TicketAction


def move_status(change: Change, status: Status) -> None:
    ticket = change.ticket
    if status.state != State.OPEN:
        raise Refused(
            _("Use Resolve or Close to move a ticket to “%(status)s”.")
            % {"status": status.display_name}
        )
    change.event(
        EventKind.STATUS,
        field="status",
        old=ticket.status,
        new=status,
    )
    change.set(status=status, state=status.state)
    status_moved(change, status)


def change_status(
    ticket: Ticket,
    *,
    actor: Actor,
    status: Status,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move an open ticket among the open statuses (In Progress, On Hold, ...)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.STATUS, ticket)
        if not ticket.is_open:
            raise Refused(_("This ticket is closed; reopen it first."))
        if status.pk == ticket.status_id:
            raise Refused(
                _("The ticket is already “%(status)s”.") % {"status": status.display_name}
            )
        change = Change(ticket, actor)
        move_status(change, status)
        if reason:
            change.events[-1].reason = reason
        return change.save()


def change_priority(
    ticket: Ticket,
    *,
    actor: Actor,
    priority: Priority,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.PRIORITY, ticket)
        refuse_archived(ticket)
        if priority.pk == ticket.priority_id:
            raise Refused(
                _("The priority is already %(priority)s.") % {"priority": priority.display_name}
            )
        change = Change(ticket, actor)
        change.event(
            EventKind.EDITED,
            field="priority",
            old=ticket.priority,
            new=priority,
            reason=reason,
        )
        change.set(priority=priority)
        return change.save()


def refuse_foreign_topic(topic: HelpTopic, department: Department, *, transferable: bool) -> None:
    """An agent gives a ticket only a help topic of the ticket's own department: a
    topic of another department would file it under that department's topic (its
    plan, its form's answers, the reports' topic rows) while it sits with another
    team. A topic the ticket already has stays through a transfer; that is not
    giving one."""
    if topic.department_id == department.pk:
        return
    names = {"topic": topic.name, "theirs": topic.department.name, "ours": department.name}
    if transferable:
        message = _(
            "The help topic “%(topic)s” belongs to %(theirs)s; this ticket is in %(ours)s. "
            "Choose a topic of %(ours)s, or transfer the ticket to %(theirs)s first."
        )
    else:
        message = _(
            "The help topic “%(topic)s” belongs to %(theirs)s, not %(ours)s. "
            "Choose a topic of %(ours)s, or open the ticket in %(theirs)s."
        )
    raise Refused(message % names)


def edit(
    ticket: Ticket,
    *,
    actor: Actor,
    subject: str | None = None,
    topic: HelpTopic | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Change the subject and/or the help topic (the department stays: use transfer;
    the topic must be one of the ticket's department)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.EDIT, ticket)
        refuse_archived(ticket)
        change = Change(ticket, actor)
        if subject is not None:
            subject = " ".join(subject.split())[:255]
            if not subject:
                raise Refused(_("The subject cannot be empty."))
            if subject != ticket.subject:
                change.event(
                    EventKind.EDITED,
                    field="subject",
                    old=ticket.subject,
                    new=subject,
                    reason=reason,
                )
                change.set(subject=subject)
        if topic is not None and topic.pk != ticket.topic_id:
            refuse_foreign_topic(topic, ticket.department, transferable=True)
            change.event(
                EventKind.EDITED,
                field="topic",
                old=ticket.topic,
                new=topic,
                reason=reason,
            )
            change.set(topic=topic)
            follow_plan(change)
        if not change.events:
            raise Refused(_("Nothing was changed."))
        return change.save()


def set_answers(
    ticket: Ticket,
    *,
    actor: Actor,
    answers: Mapping[str, str],
    expected_version: int | None = None,
) -> Ticket:
    """Fill in or change the answers to the help topic's questions (Ticket.extra,
    by question key; an empty answer removes it), checked by the caller's form
    (helpline.tickets.questions). One event per answer changed."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.EDIT, ticket)
        refuse_archived(ticket)
        change = Change(ticket, actor)
        labels = dict(
            TopicField.objects.filter(topic_id=ticket.topic_id).values_list("key", "label")
        )
        extra = dict(ticket.extra or {})
        for key, value in answers.items():
            old = str(extra.get(key, ""))
            if value == old:
                continue
            change.event(
                EventKind.EDITED,
                field="answer",
                old=old[:255],
                new=value[:255],
                data={"question": labels.get(key, key)[:200]},
            )
            if value:
                extra[key] = value
            else:
                extra.pop(key, None)
        if not change.events:
            raise Refused(_("Nothing was changed."))
        change.set(extra=extra)
        return change.save()


def resolve(
    ticket: Ticket,
    *,
    actor: Actor,
    explanation_html: str | Body,
    uploads: Sequence[Upload] = (),
    expected_version: int | None = None,
) -> Ticket:
    """Mark an open ticket resolved. The explanation is a reply the customer sees."""
    body = prepare_body(  # before the transaction: see core
        explanation_html,
        uploads,
        empty=gettext_noop("Explain the resolution: the customer will read it."),
        require_text=True,
    )
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.RESOLVE, ticket)
        if not ticket.is_open:
            raise Refused(_("Only open tickets can be resolved."))
        refuse_closing(ticket)  # the registered guards (hooks): open tasks
        status = status_for(StatusPurpose.RESOLVED)
        change = Change(ticket, actor)
        entry = add_entry(
            ticket,
            kind=EntryKind.REPLY,
            actor=actor,
            body=body,
            now=change.now,
            is_resolution=True,
        )
        change.event(
            EventKind.RESOLVED,
            field="status",
            old=ticket.status,
            new=status,
            entry=entry,
        )
        resolved = change.events[-1]
        # How long this resolution took on the clock (from opening or the last
        # reopening, pauses left out), for the reports.
        resolved.data.update(timing(ticket, change.now))
        # The resolution is a public reply: it answers a first message too.
        record_answer(change, event_data=resolved.data)
        change.set(**deadlines.resolved(ticket, ticket.sla, change.now))
        if ticket.due_at is not None:
            resolved.data["resolution_met"] = not ticket.resolution_breached
        change.set(
            status=status,
            state=status.state,
            resolved_at=change.now,
            last_response_at=change.now,
            is_overdue=False,
            sla_alarm_at=None,
        )
        return change.save()


def close(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Close a ticket, resolved or still open (spam, duplicates, no answer)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        if actor is not None:
            require_agent(actor, TicketAction.CLOSE, ticket)
        status = status_for(StatusPurpose.CLOSED)
        if ticket.status_id == status.pk:
            raise Refused(_("The ticket is already closed."))
        refuse_archived(ticket)
        if not ticket.is_open and not ticket.is_resolved:
            raise Refused(_("Only open or resolved tickets can be closed."))
        refuse_closing(ticket)  # the registered guards (hooks): open tasks
        change = Change(ticket, actor)
        change.event(
            EventKind.CLOSED,
            field="status",
            old=ticket.status,
            new=status,
            reason=reason,
        )
        if ticket.is_open:  # closed straight from open: its clock stops here
            change.set(**deadlines.resolved(ticket, ticket.sla, change.now))
        change.set(
            status=status,
            state=status.state,
            closed_at=change.now,
            is_overdue=False,
            sla_alarm_at=None,
        )
        return change.save()


def apply_reopen(change: Change, status: Status, reason: str) -> None:
    ticket = change.ticket
    change.event(
        EventKind.REOPENED,
        field="status",
        old=ticket.status,
        new=status,
        reason=reason,
    )
    change.set(
        status=status,
        state=status.state,
        reopen_count=ticket.reopen_count + 1,
        resolved_at=None,
        closed_at=None,
    )
    # A fresh clock on the ticket's plan; a derived plan is looked up again in
    # case the topic's or department's plan changed meanwhile.
    plan = ticket.sla
    if ticket.sla_from in DERIVED_PLAN_SOURCES:
        plan, source = plan_for(ticket.topic, ticket.department)
        change.set(sla_from=source)
    restart_clock(change, plan)
    assign_reopened(change)


def reopen(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """An agent reopens a resolved or closed ticket."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        require_agent(actor, TicketAction.REOPEN, ticket)
        if ticket.state != State.CLOSED:
            raise Refused(
                _("Only resolved or closed tickets can be reopened.")
                if ticket.is_open
                else _("Archived tickets cannot be reopened.")
            )
        refuse_archived(ticket)  # a merged ticket: its survivor is the one to reopen
        change = Change(ticket, actor)
        apply_reopen(change, status_for(StatusPurpose.NEW), reason=reason)
        return change.save()
