"""The read side of the desk: queues, their counts, filters, sorting and pages.

Every page is one indexed query for the rows (LIMIT page size + 1, so no COUNT
over the queue) and one query over the QueueCount buckets for the counts beside
the queues, so the dashboard costs the same at ten tickets and at a million.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum

from helpline.accounts.models import Agent
from helpline.accounts.permissions import department_roles, team_ids
from helpline.tickets.models import QueueCount, State, Ticket


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    description: str

    def filter(self, agent: Agent) -> Q:
        match self.key:
            case "open":
                return Q(state=State.OPEN)
            case "mine":
                return Q(state=State.OPEN, assignee=agent)
            case "unassigned":
                return Q(state=State.OPEN, assignee__isnull=True, team__isnull=True)
            case "overdue":
                return Q(state=State.OPEN, is_overdue=True)
            case "closed":
                return Q(state=State.CLOSED)
        raise KeyError(self.key)


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in [
        Queue("open", "Open", "Every open ticket you can see"),
        Queue("mine", "My Tickets", "Open tickets assigned to you"),
        Queue("unassigned", "Unassigned", "Open tickets with no agent and no team"),
        Queue("overdue", "Overdue", "Open tickets past their due time"),
        Queue("closed", "Closed", "Resolved and closed tickets"),
    ]
}


def queue_counts(agent: Agent) -> dict[str, int]:
    """Counts for every queue the agent sees, in one query over the counters."""
    rows = QueueCount.objects.all()
    if not agent.is_admin:
        visible = Q(department_id__in=list(department_roles(agent))) | Q(assignee_key=agent.pk)
        if teams := team_ids(agent):
            visible |= Q(team_key__in=sorted(teams))
        rows = rows.filter(visible)
    totals = rows.aggregate(
        open=Sum("count", filter=Q(state=State.OPEN)),
        mine=Sum("count", filter=Q(state=State.OPEN, assignee_key=agent.pk)),
        unassigned=Sum("count", filter=Q(state=State.OPEN, assignee_key=0, team_key=0)),
        overdue=Sum("count", filter=Q(state=State.OPEN, is_overdue=True)),
        closed=Sum("count", filter=Q(state=State.CLOSED)),
    )
    return {key: totals.get(key) or 0 for key in QUEUES}


SORTS: dict[str, tuple[str, list[str]]] = {
    # key: (label, order_by); every order ends on id so pages never overlap.
    "updated": ("Last update", ["-updated_at", "-id"]),
    "created": ("Newest", ["-created_at", "-id"]),
    "oldest": ("Oldest", ["created_at", "id"]),
    "due": ("Due soonest", ["due_at", "id"]),
    "priority": ("Priority", ["-priority__urgency", "-updated_at", "-id"]),
    "number": ("Number", ["number"]),
}
FILTERS = ("department", "topic", "priority", "status", "assignee", "team", "customer")


@dataclass
class QueuePage:
    queue: Queue
    tickets: list[Ticket]
    page: int
    has_next: bool
    sort: str
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def apply_filters(qs: QuerySet[Ticket], params: dict[str, str]) -> tuple[QuerySet[Ticket], dict]:
    """Filter by the known parameters; unknown or malformed values are ignored."""
    used: dict[str, Any] = {}
    for name in FILTERS:
        raw = params.get(name, "")
        if name in ("assignee", "team") and raw == "none":
            qs = qs.filter(**{f"{name}__isnull": True})
            used[name] = raw
        elif (value := _int(raw)) is not None:
            qs = qs.filter(**{f"{name}_id": value})
            used[name] = raw
    return qs, used


def queue_page(
    agent: Agent, key: str, params: dict[str, str], page_size: int = 25
) -> QueuePage | None:
    queue = QUEUES.get(key)
    if queue is None:
        return None
    qs: QuerySet[Ticket] = Ticket.objects.visible_to(agent).filter(queue.filter(agent))
    qs, used = apply_filters(qs, params)
    sort = params.get("sort", "updated")
    if sort not in SORTS:
        sort = "updated"
    page = max(_int(params.get("page")) or 1, 1)
    start = (page - 1) * page_size
    rows = list(
        qs.select_related(
            "customer", "status", "priority", "department", "topic", "assignee__user", "team"
        ).order_by(*SORTS[sort][1])[start : start + page_size + 1]
    )
    return QueuePage(
        queue=queue,
        tickets=rows[:page_size],
        page=page,
        has_next=len(rows) > page_size,
        sort=sort,
        filters=used,
    )
