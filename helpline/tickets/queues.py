"""The read side of the desk: queues, their counts, filters, sorting and pages.

Every page reads its rows from index ranges in order (keyset pages, one UNION
ALL of a few ranges, then the page's tickets by id: see helpline.tickets.keyset),
with no COUNT, no OFFSET and no sort over the queue, and one query over the
QueueCount buckets for the counts beside the queues, so the dashboard, every
sort and every page cost the same at ten tickets and at a million.

The query string is checked before any query runs (`BadQueueInput`, a 400 for
the pages): a filter is an id (1 to 2**63 - 1, what both databases' integers
hold) or, for the assignee and the team, `none`; a cursor is one we signed, for
this sort. A value beyond 64 bits made the databases fail (500), and an ignored
malformed filter would have shown, or exported, a wider list than the one asked
for. An old `page` number (OFFSET pages) opens the first page and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.expressions import OrderBy
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from helpline.accounts.models import Agent, Department
from helpline.tickets import keyset
from helpline.tickets.keyset import Segment
from helpline.tickets.models import Priority, QueueCount, State, Ticket
from helpline.tickets.permissions import department_roles, team_ids, visibility_branches


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


def counter_rows(agent: Agent) -> QuerySet[QueueCount]:
    """The counters' buckets of the tickets the agent sees (the queues' counts
    and the saved views' sum these)."""
    rows = QueueCount.objects.all()
    if not agent.is_admin:
        visible = Q(department_id__in=list(department_roles(agent))) | Q(assignee_key=agent.pk)
        if teams := team_ids(agent):
            visible |= Q(team_key__in=sorted(teams))
        rows = rows.filter(visible)
    return rows


def queue_counts(agent: Agent) -> dict[str, int]:
    """Counts for every queue the agent sees, in one query over the counters."""
    totals = counter_rows(agent).aggregate(
        open=Sum("count", filter=Q(state=State.OPEN)),
        mine=Sum("count", filter=Q(state=State.OPEN, assignee_key=agent.pk)),
        unassigned=Sum("count", filter=Q(state=State.OPEN, assignee_key=0, team_key=0)),
        overdue=Sum("count", filter=Q(state=State.OPEN, is_overdue=True)),
        closed=Sum("count", filter=Q(state=State.CLOSED)),
    )
    return {key: totals.get(key) or 0 for key in QUEUES}


@dataclass(frozen=True)
class Sort:
    """An order of the queue pages. `columns` all run one way (`descending` or
    not) and end on a unique column, so an ascending index read forwards or
    backwards serves it. `kind` "due" splits it in tickets with a due time, then
    those without (last on both databases, which put NULLs at different ends);
    "priority" in one segment per priority, most urgent first (see segments())."""

    label: str | Promise
    columns: tuple[str, ...]
    descending: bool
    kind: str = "plain"

    @property
    def order_by(self) -> list[str | OrderBy]:
        """The whole order, as one ORDER BY (the CSV export of the whole queue)."""
        if self.kind == "due":
            return [F("due_at").asc(nulls_last=True), "id"]
        sign = "-" if self.descending else ""
        head = ["-priority__urgency"] if self.kind == "priority" else []
        return [*head, *(f"{sign}{c}" for c in self.columns)]


SORTS: dict[str, Sort] = {
    "updated": Sort(gettext_lazy("Last update"), ("updated_at", "id"), descending=True),
    "created": Sort(gettext_lazy("Newest"), ("created_at", "id"), descending=True),
    "oldest": Sort(gettext_lazy("Oldest"), ("created_at", "id"), descending=False),
    "due": Sort(gettext_lazy("Due soonest"), ("due_at", "id"), descending=False, kind="due"),
    "priority": Sort(
        gettext_lazy("Priority"), ("updated_at", "id"), descending=True, kind="priority"
    ),
    "number": Sort(gettext_lazy("Number"), ("number",), descending=False),
    # The other way round of two of them (a second click on a column's header):
    # the same indexes, read the other way.
    "number_desc": Sort(gettext_lazy("Number, highest first"), ("number",), descending=True),
    "least_updated": Sort(
        gettext_lazy("Least recently updated"), ("updated_at", "id"), descending=False
    ),
}
FILTERS = ("department", "topic", "priority", "status", "assignee", "team", "customer")
# The largest id: PostgreSQL's bigint and SQLite's integer are 64 bits, signed.
MAX_ID = 2**63 - 1


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
    sort: str
    filters: dict[str, str] = field(default_factory=dict)
    # Signed cursors for the Next and Previous links; None where there is none.
    next_cursor: str | None = None
    previous_cursor: str | None = None
    # A `page` number came with the request (an old bookmark): this is the first
    # page, and the page says so.
    page_ignored: bool = False

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def id_number(raw: str, largest: int = MAX_ID) -> int | None:
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


def filter_params(query: Mapping[str, str]) -> dict[str, str]:
    """The filter parameters a query string sets (empty ones are no filter), each
    cut at a length no id reaches; `apply_filters` checks them."""
    return {name: str(query[name])[:40] for name in FILTERS if query.get(name)}


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
        elif (value := id_number(raw)) is not None:
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
    return Selection(queue, qs.order_by(*SORTS[sort].order_by), sort, used)


def _segments(sort: Sort, used: Mapping[str, str]) -> list[Segment]:
    """The stretches of the sort a page reads one index range of (per branch)."""
    if sort.kind == "due":
        return [
            Segment(0, Q(due_at__isnull=False), ("due_at", "id"), ("due_at", "id")),
            # due_at is NULL throughout, but ordering on it too keeps the index's
            # order plain to PostgreSQL, which takes `IS NULL` for no equality.
            Segment(1, Q(due_at__isnull=True), ("due_at", "id"), ("id",)),
        ]
    if sort.kind == "priority":
        priorities = Priority.objects.order_by("-urgency")
        if "priority" in used:  # the filter leaves one segment
            priorities = priorities.filter(pk=int(used["priority"]))
        return [
            Segment(urgency, Q(priority_id=pk), sort.columns, sort.columns)
            for pk, urgency in priorities.values_list("pk", "urgency")
        ]
    return [Segment(0, Q(), sort.columns, sort.columns)]


def _keys(sort: Sort) -> Callable[[int], tuple[str, ...] | None]:
    """The key columns of a cursor's mark in this sort (None: not a mark of it)."""
    if sort.kind == "due":
        return {0: ("due_at", "id"), 1: ("id",)}.get
    if sort.kind == "priority":
        return lambda mark: sort.columns if 0 <= mark < 2**15 else None
    return {0: sort.columns}.get


# Filters that are an equality on a column leading a queue index
# (assignee, team, department); others read per department (see _branches).
LEAD_FILTERS = ("department", "assignee", "team")


def _branches(
    agent: Agent, queue: Queue, sort: str, used: Mapping[str, str]
) -> tuple[list[Q], tuple[str, ...]]:
    """The equalities whose index ranges, read side by side, hold the page, and
    the columns the page orders by first because the queue makes them NULL.

    An administrator's page is one range when the queue or a filter names a
    department, an agent or a team (or none), or for the default sort (the
    state's own index); else one per department, since the indexes of the other
    sorts lead with the department (a whole-state copy of each would cost every
    write more), as do those of "Overdue" (partial: its tickets only). Another
    agent's page is one range per department they see, one of their own tickets,
    one per team: never a walk through the whole state testing the OR.

    "Unassigned" (and the filters `none`) read the assignee's (or team's)
    indexes at NULL. PostgreSQL takes `IS NULL` for no equality, so it would sort
    a range it can read in order; ordering by the (all NULL) column first too
    shows it the index's order. SQLite needs no such help and takes none amiss.
    """
    visible = visibility_branches(agent)
    named = [name for name in LEAD_FILTERS if used.get(name, "none") != "none"]
    if queue.key == "mine" or named:
        nulls: tuple[str, ...] = ()
    elif queue.key == "unassigned" or used.get("assignee") == "none":
        nulls = ("assignee_id",)
    elif used.get("team") == "none":
        nulls = ("team_id",)
    else:
        nulls = ()
    if visible is None:
        by_state = sort in ("updated", "least_updated") and queue.key != "overdue"
        if queue.key == "mine" or named or nulls or by_state:
            return [Q()], nulls
        departments = Department.objects.order_by("pk").values_list("pk", flat=True)
        return [Q(department_id=pk) for pk in departments], ()
    # Every ticket of these is visible: the queue's own equality leads.
    if queue.key == "mine" or used.get("assignee") == str(agent.pk):
        return [Q()], ()
    if "department" in used and int(used["department"]) in department_roles(agent):
        return [Q()], ()
    return visible, ()


def page_parts(
    agent: Agent, key: str, params: Mapping[str, str], page_size: int = 25
) -> tuple[Queue, str, dict[str, str], keyset.Cursor | None, list[keyset.Part]] | None:
    """What a page reads: its queue, sort, filters, cursor and index ranges (None
    for an unknown queue); BadQueueInput for a parameter it cannot use. The plan
    tests EXPLAIN these ranges, so they are the very ones a page runs."""
    queue = QUEUES.get(key)
    if queue is None:
        return None
    base: QuerySet[Ticket] = Ticket.objects.filter(queue.filter(agent))
    base, used = apply_filters(base, params)
    sort_key = params.get("sort", "updated")
    if sort_key not in SORTS:
        sort_key = "updated"
    sort = SORTS[sort_key]
    cursor = None
    if raw := params.get("cursor", ""):
        try:
            cursor = keyset.read_cursor(raw, sort_key, _keys(sort))
        except keyset.BadCursor as bad:
            raise BadQueueInput(keyset.error_message(), "cursor") from bad
    segments = _segments(sort, used)
    branches, nulls = _branches(agent, queue, sort_key, used)
    descend = sort.kind == "priority"  # most urgent first
    found = keyset.parts(
        base, branches, segments, sort.descending, cursor, descend, page_size + 1, nulls
    )
    return queue, sort_key, used, cursor, found


def cursor_at(sort_key: str, ticket: Ticket, forward: bool) -> str:
    """The cursor of the page after (or before) `ticket` in this sort."""
    sort = SORTS[sort_key]
    if sort.kind == "due":
        mark = 0 if ticket.due_at is not None else 1
    elif sort.kind == "priority":
        mark = ticket.priority.urgency
    else:
        mark = 0
    columns = _keys(sort)(mark) or sort.columns
    return keyset.make_cursor(sort_key, forward, mark, columns, ticket)


def queue_page(
    agent: Agent, key: str, params: Mapping[str, str], page_size: int = 25
) -> QueuePage | None:
    """A page of the queue `key` (None for an unknown queue): the first, or the
    one after or before the `cursor`; BadQueueInput for a parameter it cannot use.
    Queries: one when the page is one index range (an administrator's default
    sort, a department's, an agent's own tickets); else the page's ids (one UNION
    ALL of the ranges) and its tickets. Plus the priorities for the priority
    sort, and the departments for an administrator's other sorts."""
    planned = page_parts(agent, key, params, page_size)
    if planned is None:
        return None
    queue, sort_key, used, cursor, found = planned
    sort = SORTS[sort_key]
    forward = cursor is None or cursor.forward
    related = (
        "customer__organization",
        "status",
        "priority",
        "department",
        "topic",
        "assignee__user",
        "team",
    )
    if len(found) == 1:  # one range: read the tickets themselves, in one query
        tickets = list(found[0].tickets.select_related(*related))
    else:
        ids = keyset.read(found, sort.descending, forward, page_size + 1)
        by_id = {t.pk: t for t in Ticket.objects.filter(pk__in=ids).select_related(*related)}
        tickets = [by_id[pk] for pk in ids if pk in by_id]  # one may have gone meanwhile
    more = len(tickets) > page_size
    tickets = tickets[:page_size]
    if not forward:
        if not more:  # nothing before these: the first page, full
            rest = {k: v for k, v in params.items() if k != "cursor"}
            return queue_page(agent, key, rest, page_size)
        tickets.reverse()
    has_next = more if forward else True
    has_previous = cursor is not None
    return QueuePage(
        queue=queue,
        tickets=tickets,
        sort=sort_key,
        filters=used,
        next_cursor=cursor_at(sort_key, tickets[-1], True) if has_next and tickets else None,
        previous_cursor=(
            cursor_at(sort_key, tickets[0], False) if has_previous and tickets else None
        ),
        page_ignored=params.get("page", "") not in ("", "1"),
    )
