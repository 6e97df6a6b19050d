"""The read side of the desk: queues, their counts, filters, sorting and pages.

Every page is one indexed query for the rows (LIMIT page size + 1, so no COUNT
over the queue) and one query over the QueueCount buckets for the counts beside
the queues, so the dashboard costs the same at ten tickets and at a million.

The query string is checked before any query runs (`BadQueueInput`, a 400 for
the pages): a filter is an id (1 to 2**63 - 1, what both databases' integers
hold) or, for the assignee and the team, `none`, and a page lies in 1..MAX_PAGE.
A value beyond 64 bits made the databases fail (500), and an ignored malformed
filter would have shown, or exported, a wider list than the one asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from helpline.accounts.models import Agent
from helpline.tickets.models import QueueCount, State, Ticket
from helpline.tickets.permissions import department_roles, team_ids


@dataclass(frozen=True)
class Queue:
    key: str
    title: str | Promise  # translated when shown
    description: str | Promise

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
        Queue(
            "open", pgettext_lazy("queue", "Open"), gettext_lazy("Every open ticket you can see")
        ),
        Queue("mine", gettext_lazy("My Tickets"), gettext_lazy("Open tickets assigned to you")),
        Queue(
            "unassigned",
            gettext_lazy("Unassigned"),
            gettext_lazy("Open tickets with no agent and no team"),
        ),
        Queue("overdue", gettext_lazy("Overdue"), gettext_lazy("Open tickets past their due time")),
        Queue(
            "closed", pgettext_lazy("queue", "Closed"), gettext_lazy("Resolved and closed tickets")
        ),
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


SORTS: dict[str, tuple[str | Promise, list[str]]] = {
    # key: (label, order_by); every order ends on id so pages never overlap.
    "updated": (gettext_lazy("Last update"), ["-updated_at", "-id"]),
    "created": (gettext_lazy("Newest"), ["-created_at", "-id"]),
    "oldest": (gettext_lazy("Oldest"), ["created_at", "id"]),
    "due": (gettext_lazy("Due soonest"), ["due_at", "id"]),
    "priority": (gettext_lazy("Priority"), ["-priority__urgency", "-updated_at", "-id"]),
    "number": (gettext_lazy("Number"), ["number"]),
}
FILTERS = ("department", "topic", "priority", "status", "assignee", "team", "customer")
# The largest id: PostgreSQL's bigint and SQLite's integer are 64 bits, signed.
MAX_ID = 2**63 - 1
# Pages are read with OFFSET, which walks every row before the page: 10,000
# pages of 25 is a quarter of a million rows, still quick; further down a queue a
# filter or the search finds a ticket sooner than paging does.
MAX_PAGE = 10_000


class BadQueueInput(ValueError):
    """A query string parameter a queue cannot use: a sentence to show, and the
    parameter it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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


def _number(raw: str, largest: int) -> int | None:
    """`raw` as a whole number in 1..largest, else None. ASCII digits only: int()
    also reads full-width digits, " 12", "1_2" and "-3", none of which is an id or a page."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(largest)):
        return None
    value = int(raw)
    return value if 1 <= value <= largest else None


# What each filter's id is the number of, for the message.
FILTER_NOUNS = {
    "department": gettext_lazy("a department"),
    "topic": gettext_lazy("a help topic"),
    "priority": gettext_lazy("a priority"),
    "status": gettext_lazy("a status"),
    "assignee": gettext_lazy("an agent"),
    "team": gettext_lazy("a team"),
    "customer": gettext_lazy("a customer"),
}


def apply_filters(
    qs: QuerySet[Ticket], params: Mapping[str, str]
) -> tuple[QuerySet[Ticket], dict[str, str]]:
    """Filter by the known parameters (empty ones are not filters); a value that
    cannot be an id raises BadQueueInput. Unknown parameters are ignored."""
    used: dict[str, str] = {}
    for name in FILTERS:
        raw = params.get(name, "")
        if not raw:
            continue
        if name in ("assignee", "team") and raw == "none":
            qs = qs.filter(**{f"{name}__isnull": True})
        elif (value := _number(raw, MAX_ID)) is not None:
            qs = qs.filter(**{f"{name}_id": value})
        else:
            if name in ("assignee", "team"):
                text = _(
                    "The “%(name)s” filter must be the number of %(noun)s, or “none”, "
                    "as the filter lists give it."
                )
            else:
                text = _(
                    "The “%(name)s” filter must be the number of %(noun)s, "
                    "as the filter lists give it."
                )
            raise BadQueueInput(text % {"name": name, "noun": FILTER_NOUNS[name]}, name)
        used[name] = raw
    return qs, used


def page_number(params: Mapping[str, str]) -> int:
    """The `page` parameter (1 when not given), or BadQueueInput."""
    raw = params.get("page", "")
    if not raw:
        return 1
    page = _number(raw, MAX_PAGE)
    if page is None:
        raise BadQueueInput(
            _("The “page” must be a whole number from 1 to %(last)s.")
            % {"last": number_format(MAX_PAGE, force_grouping=True)},
            "page",
        )
    return page


@dataclass(frozen=True)
class Selection:
    """The tickets of a queue as a query string filters and sorts them: what the
    queue page shows a page of and the queue CSV exports whole."""

    queue: Queue
    tickets: QuerySet[Ticket]  # ordered
    sort: str
    filters: dict[str, str]


def select(agent: Agent, key: str, params: Mapping[str, str]) -> Selection | None:
    """The queue `key` as `agent` sees it, with the filters and the sort of
    `params` (None for an unknown queue); BadQueueInput for a filter it cannot use."""
    queue = QUEUES.get(key)
    if queue is None:
        return None
    qs: QuerySet[Ticket] = Ticket.objects.visible_to(agent).filter(queue.filter(agent))
    qs, used = apply_filters(qs, params)
    sort = params.get("sort", "updated")
    if sort not in SORTS:
        sort = "updated"
    return Selection(queue, qs.order_by(*SORTS[sort][1]), sort, used)


def queue_page(
    agent: Agent, key: str, params: Mapping[str, str], page_size: int = 25
) -> QueuePage | None:
    """A page of the queue `key` (None for an unknown queue); BadQueueInput for a
    parameter it cannot use."""
    selection = select(agent, key, params)
    if selection is None:
        return None
    page = page_number(params)
    start = (page - 1) * page_size
    rows = list(
        selection.tickets.select_related(
            "customer", "status", "priority", "department", "topic", "assignee__user", "team"
        )[start : start + page_size + 1]
    )
    return QueuePage(
        queue=selection.queue,
        tickets=rows[:page_size],
        page=page,
        has_next=len(rows) > page_size,
        sort=selection.sort,
        filters=selection.filters,
    )
