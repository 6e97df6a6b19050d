"""The tasks a new ticket gets from its help topic's templates.

Where it plugs in: a receiver of the core's `events_recorded` signal, which
`open_ticket` sends inside its transaction with the "created" event. That event
carries the help topic the ticket ended up with (after the routing rules), so
the tasks are written in the opening's own transaction: a ticket is never seen
without its tasks, and a refused or failed opening leaves none behind. The
other way in, an opening hook (`lifecycle.hooks.opening_rules`), runs before the
ticket exists and may not write, so it could only describe the tasks and the core
would have to learn to make them.

Cost: nothing for a ticket without a help topic; one query for the topic's
templates otherwise, and three INSERTs (tasks, their events, the ticket's
events) when it has some, whatever their number.

Made as Helpline itself (no agent). The ticket's timeline events are written
here directly, not through the core's `write_events`: this runs while the
receivers of the opening's own events are being called, and announcing more
events from inside would reach some receivers (the rollups) before the opening's
"created" event. None of them acts on a task's event anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from helpline.ticket_tasks.models import Task, TaskEvent, TaskEventKind, TaskTemplate
from helpline.tickets.lifecycle import actor_name
from helpline.tickets.models import Event, EventKind, Ticket


def tasks_from_templates(sender: object, events: Sequence[Event], **kwargs: Any) -> None:
    """The `events_recorded` receiver: the topic's tasks for each ticket opened."""
    opened = [e for e in events if e.kind == EventKind.CREATED and e.data.get("topic")]
    if not opened:
        return
    by_topic: dict[int, list[TaskTemplate]] = defaultdict(list)
    for template in (
        TaskTemplate.objects.filter(topic_id__in={e.data["topic"] for e in opened}, is_active=True)
        .select_related("assignee__user", "team")
        .order_by("order", "id")
    ):
        by_topic[template.topic_id].append(template)
    if not by_topic:
        return
    made: list[tuple[Task, TaskTemplate]] = []
    for event in opened:
        for template in by_topic.get(event.data["topic"], []):
            made.append((_task(event.ticket, template, event), template))
    Task.objects.bulk_create([task for task, _template in made])
    TaskEvent.objects.bulk_create(
        e for task, template in made for e in _task_events(task, template)
    )
    system = actor_name(None)
    Event.objects.bulk_create(
        Event(
            ticket=task.ticket,
            kind=EventKind.EDITED,
            actor_name=system,
            field="task",
            new_value=task.title[:255],
            data={"task": task.pk, "action": "created", "template": template.pk},
            created_at=task.created_at,
        )
        for task, template in made
    )


def _task(ticket: Ticket, template: TaskTemplate, opened: Event) -> Task:
    # A template's inactive agent or team is left out: the task waits for an
    # agent to assign it, as the opening must not fail over a template.
    agent = template.assignee if template.assignee and template.assignee.user.is_active else None
    team = template.team if template.team and template.team.is_active else None
    now = opened.created_at
    return Task(
        ticket=ticket,
        title=template.title,
        description=template.description,
        department_id=template.department_id or ticket.department_id,
        assignee=agent,
        team=team,
        due_at=now + timedelta(hours=template.due_hours) if template.due_hours else None,
        template=template,
        created_at=now,
        updated_at=now,
    )


def _task_events(task: Task, template: TaskTemplate) -> list[TaskEvent]:
    """ "Created" and, for an assigned task, "assigned": as `lifecycle.add_task`
    records them, by the system and naming the template."""
    system = actor_name(None)

    def event(kind: TaskEventKind, **values: Any) -> TaskEvent:
        return TaskEvent(
            task=task, kind=kind, actor_name=system, created_at=task.created_at, **values
        )

    events = [event(TaskEventKind.CREATED, new_value=task.title, data={"template": template.pk})]
    if task.assignee is not None:
        events.append(
            event(
                TaskEventKind.ASSIGNED,
                field="agent",
                new_value=task.assignee.name[:255],
                data={"old": None, "new": task.assignee.pk},
            )
        )
    if task.team is not None:
        events.append(
            event(
                TaskEventKind.ASSIGNED,
                field="team",
                new_value=task.team.name[:255],
                data={"old": None, "new": task.team.pk},
            )
        )
    return events
