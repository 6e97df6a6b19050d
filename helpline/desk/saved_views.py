"""Saved views: queues as agents shape them (desk.models.SavedView).

A view is one of the queues (tickets.queues.QUEUES) with its filters, sort,
columns and density. It opens as that queue's page does (the same keyset pages,
the same bulk bar), so it costs what the queue costs at a million tickets.

Its count in the sidebar comes from the maintained counters (QueueCount) when
the view's filters are among the counters' own columns (department, assignee,
team): one query for all such views. Any other view is counted up to
`COUNT_CAP` + 1 tickets and shown as "1,000+" past that: a bounded read, one per
such view, never a COUNT over a million rows. Both are independent of how many
tickets there are (tests/test_saved_views.py pins the queries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import caches
from django.db.models import Case, Count, Q, QuerySet, Sum, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.accounts.models import Agent, Department, Role, Team
from helpline.desk.models import SavedView, Sharing
from helpline.search.query import BadSearch
from helpline.search.service import search
from helpline.ticket_tasks.models import Task, TaskState
from helpline.tickets.models import State, Ticket
from helpline.tickets.permissions import department_roles, team_ids
from helpline.tickets.queues import (
    FILTERS,
    QUEUES,
    SORTS,
    BadQueueInput,
    Queue,
    QueuePage,
    counter_rows,
    filter_params,
    id_number,
    select,
)

# The most views an agent keeps of their own, and the most shown in a sidebar
# (their own first): each uncounted one is a query of the queue pages.
MAX_OWN = 30
MAX_SHOWN = 40
# A view's count past this is shown as "1,000+".
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    # The sort a click on its header chooses (tickets.queues.SORTS), and the one a
    # second click chooses (the other way); None: the header sorts nothing (no
    # index serves that order at a million tickets).
    sort: str | None = None
    reverse: str | None = None
    # Left out below 600 px, where a row is a card of the main columns.
    wide_only: bool = False


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        Column("number", _("Ticket"), sort="number", reverse="number_desc"),
        Column("subject", _("Subject")),
        Column("customer", _("From")),
        Column("organization", _("Organization"), wide_only=True),
        Column("department", _("Department"), wide_only=True),
        Column("topic", _("Help topic"), wide_only=True),
        Column("priority", _("Priority"), sort="priority"),
        Column("status", _("Status")),
        Column("assignee", _("Assigned to")),
        Column("team", _("Team"), wide_only=True),
        Column("created", _("Created"), sort="created", reverse="oldest", wide_only=True),
        Column(
            "updated", _("Last update"), sort="updated", reverse="least_updated", wide_only=True
        ),
        Column("last_message", _("Last customer message"), wide_only=True),
        Column("due", _("Due"), sort="due", wide_only=True),
        Column("sla", pgettext_lazy("column", "SLA"), wide_only=True),
        Column("age", _("Age"), wide_only=True),
        Column("tasks", _("Open tasks"), wide_only=True),
    ]
}
DEFAULT_COLUMNS = (
    "number",
    "subject",
    "customer",
    "department",
    "priority",
    "status",
    "assignee",
    "updated",
)


def columns_of(keys: Iterable[str] | None) -> list[Column]:
    """The columns named, in their order (unknown ones left out; the queues' own
    columns when none is left)."""
    chosen = [COLUMNS[k] for k in dict.fromkeys(keys or ()) if k in COLUMNS]
    return chosen or [COLUMNS[k] for k in DEFAULT_COLUMNS]


@dataclass(frozen=True)
class HeaderSort:
    """A column header's link: the sort it chooses, and how the list is sorted by
    that column now (`aria-sort`)."""

    column: Column
    sort: str | None  # None: the header sorts nothing
    current: str  # "ascending", "descending" or "" (not sorted by it)


def header_sorts(columns: Sequence[Column], sort: str) -> list[HeaderSort]:
    heads = []
    for column in columns:
        if column.sort is None:
            heads.append(HeaderSort(column, None, ""))
            continue
        now = sort in (column.sort, column.reverse)
        chosen = column.reverse if now and sort == column.sort and column.reverse else column.sort
        current = ""
        if now:
            current = "descending" if SORTS[sort].descending else "ascending"
            if SORTS[sort].kind == "priority":
                current = "descending"  # most urgent first
        heads.append(HeaderSort(column, chosen, current))
    return heads


def plain_heads(columns: Sequence[Column]) -> list[tuple[HeaderSort, str]]:
    """Headers that sort nothing (the search's results, ranked or newest first)."""
    return [(HeaderSort(column, None, ""), "") for column in columns]


def shown_to(agent: Agent) -> QuerySet[SavedView]:
    """The views the agent may open: their own, and those shared with a
    department they work in or a team they are in or lead (every shared one for
    an administrator)."""
    if agent.is_admin:  # who sees every department's tickets sees its views
        shared = ~Q(sharing=Sharing.PERSONAL)
    else:
        shared = Q(sharing=Sharing.DEPARTMENT, department_id__in=list(department_roles(agent)))
        shared |= Q(sharing=Sharing.TEAM, team__lead=agent, team__is_active=True)
        if teams := team_ids(agent):
            shared |= Q(sharing=Sharing.TEAM, team_id__in=sorted(teams))
    return SavedView.objects.filter(Q(owner=agent) | shared).select_related(
        "department", "team", "owner__user"
    )


def sidebar_views(agent: Agent) -> list[SavedView]:
    """The sidebar's views: the agent's own, then the shared ones, each by name;
    at most MAX_SHOWN. One query."""
    rows = shown_to(agent).order_by(Case(When(owner=agent, then=0), default=1), Lower("name"), "pk")
    return list(rows[:MAX_SHOWN])


def share_departments(agent: Agent) -> list[Department]:
    """Where the agent may share a view: the departments they supervise (every one
    for an administrator)."""
    if agent.is_admin:
        return list(Department.objects.order_by("name"))
    mine = [
        pk for pk, role in department_roles(agent).items() if role in (Role.SUPERVISOR, Role.ADMIN)
    ]
    return list(Department.objects.filter(pk__in=mine).order_by("name"))


def share_teams(agent: Agent) -> list[Team]:
    """The teams the agent may share a view with: those they are in or lead (every
    active one for an administrator)."""
    teams = Team.objects.filter(is_active=True).order_by("name")
    if agent.is_admin:
        return list(teams)
    return list(teams.filter(Q(members=agent) | Q(lead=agent)).distinct())


def may_change(agent: Agent, view: SavedView) -> bool:
    """Who may edit or delete a view: its owner; an administrator; for one shared
    with a department, its supervisors; for a team's, its lead."""
    if view.owner_id == agent.pk or agent.is_admin:
        return True
    if view.sharing == Sharing.DEPARTMENT and view.department_id is not None:
        return department_roles(agent).get(view.department_id) in (Role.SUPERVISOR, Role.ADMIN)
    if view.sharing == Sharing.TEAM and view.team is not None:
        return view.team.lead_id == agent.pk
    return False


def query_of(view: SavedView) -> dict[str, str]:
    """The queue page's query parameters the view stands for: its filters and sort."""
    params = {k: str(v) for k, v in (view.filters or {}).items() if k in FILTERS and v}
    params["sort"] = view.sort if view.sort in SORTS else "updated"
    return params


# --- counts ---------------------------------------------------------------------------

# The filters that are the counters' own columns: each filter's column there.
COUNTED_FILTERS = {"department": "department_id", "assignee": "assignee_key", "team": "team_key"}


@dataclass(frozen=True)
class ViewCount:
    count: int
    capped: bool = False  # more than COUNT_CAP: shown as "1,000+"


def _bucket(agent: Agent, view: SavedView) -> Q | None:
    """The counters' rows holding exactly the view's tickets (None: the view's
    filters are not among the counters' columns)."""
    filters = {k: v for k, v in (view.filters or {}).items() if v}
    if not set(filters) <= COUNTED_FILTERS.keys():
        return None
    match view.queue:
        case "open":
            q = Q(state=State.OPEN)
        case "mine":
            q = Q(state=State.OPEN, assignee_key=agent.pk)
        case "unassigned":
            q = Q(state=State.OPEN, assignee_key=0, team_key=0)
        case "overdue":
            q = Q(state=State.OPEN, is_overdue=True)
        case "closed":
            q = Q(state=State.CLOSED)
        case _:
            return None
    for name, raw in filters.items():
        if raw == "none" and name != "department":
            q &= Q(**{COUNTED_FILTERS[name]: 0})
        elif (value := id_number(str(raw))) is not None:
            q &= Q(**{COUNTED_FILTERS[name]: value})
        else:
            return None
    return q


def view_counts(
    agent: Agent, views: Sequence[SavedView], *, read: bool = False
) -> tuple[dict[int, ViewCount], list[SavedView]]:
    """Each view's count as the agent sees it, and the views still to count.

    One query over the counters for the views they serve. Every other view's
    count is a bounded read (or its search's capped count): the page shows the
    ones read in the last COUNT_SECONDS (a cache of the process's own, so a page
    view writes nothing) and leaves the rest for its sidebar to ask for after
    it is shown (`read`: read them now, the first MAX_READ of them; the sidebar's
    request). The page never waits for a walk through a million tickets."""
    counts: dict[int, ViewCount] = {}
    buckets = {
        view.pk: q for view in views if not view.search and (q := _bucket(agent, view)) is not None
    }
    if buckets:
        totals = counter_rows(agent).aggregate(
            **{f"v{pk}": Sum("count", filter=q) for pk, q in buckets.items()}
        )
        counts.update({pk: ViewCount(totals.get(f"v{pk}") or 0) for pk in buckets})
    rest = [view for view in views if view.pk not in counts]
    kept_cache = caches[COUNT_CACHE]
    keys = {view.pk: _cache_key(agent, view) for view in rest}
    kept = kept_cache.get_many(list(keys.values())) if keys else {}
    pending: list[SavedView] = []
    for view in rest:
        found = kept.get(keys[view.pk])
        if found is None and read and len(pending) < MAX_READ:
            found = _bounded_count(agent, view)
            kept_cache.set(keys[view.pk], found, COUNT_SECONDS)
        if found is None:
            pending.append(view)
        else:
            counts[view.pk] = ViewCount(*found)
    return counts, pending


# How long a bounded count is shown before it is read again, the cache it is kept
# in (settings.CACHES: in each process's memory), and the most one request reads.
COUNT_SECONDS = 30
COUNT_CACHE = "counts"
MAX_READ = 12


def _cache_key(agent: Agent, view: SavedView) -> str:
    # The view's last change is in the key: a changed view is counted afresh.
    return f"view-count:{agent.pk}:{view.pk}:{view.updated_at.timestamp()}"


def _bounded_count(agent: Agent, view: SavedView) -> tuple[int, bool]:
    """(count, capped): the view's tickets up to COUNT_CAP, read with a LIMIT (a
    search view's: its search's own capped count)."""
    if view.search:
        try:
            found = search(
                view.search,
                agent=agent,
                within=_queue_tickets(agent, view),
                order="newest",
                limit=1,
                filters=query_of(view),
                snippets=False,
            )
        except BadSearch:
            return 0, False
        return min(found.total, COUNT_CAP), found.counts_capped or found.total > COUNT_CAP
    try:
        chosen = select(agent, view.queue, query_of(view))
    except BadQueueInput:  # a filter the queue cannot use
        return 0, False
    if chosen is None:
        return 0, False
    n = chosen.tickets.order_by()[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def _queue_tickets(agent: Agent, view: SavedView) -> QuerySet[Ticket] | None:
    """The search view's queue as a narrowing of its search (None: every ticket)."""
    queue = queue_of(view)
    return None if queue is EVERY_QUEUE else Ticket.objects.filter(queue.filter(agent))


def search_page(agent: Agent, view: SavedView, cursor: str, page_size: int) -> QueuePage:
    """A search view's page: what its search finds in its queue, newest first (a
    page and the cursor of the next). BadQueueInput for a search or cursor that
    cannot run, as a queue page's is."""
    queue = queue_of(view)
    try:
        found = search(
            view.search,
            agent=agent,
            within=_queue_tickets(agent, view),
            order="newest",
            cursor=cursor,
            limit=page_size,
            counts=False,
            filters=query_of(view),
            snippets=False,
        )
    except BadSearch as bad:
        raise BadQueueInput(bad.message, "search") from None
    return QueuePage(
        queue=queue,
        tickets=[hit.ticket for hit in found.hits],
        sort="newest",
        filters=filter_params(view.filters or {}),
        next_cursor=found.next_cursor,
    )


# --- what the columns show that the rows do not hold ---------------------------------


def attach_open_tasks(tickets: Sequence[Ticket]) -> None:
    """`open_tasks` on each ticket: its open tasks, in one query for the page."""
    ids = [t.pk for t in tickets]
    found = dict(
        Task.objects.filter(ticket_id__in=ids, state=TaskState.OPEN)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    for ticket in tickets:
        ticket.open_tasks = found.get(ticket.pk, 0)  # type: ignore[attr-defined]


SOON = timedelta(hours=2)


def sla_state(ticket: Ticket, now: datetime | None = None) -> tuple[str, str | Promise]:
    """The ticket's SLA state as a badge: (kind, words)."""
    now = now or timezone.now()
    if ticket.state != State.OPEN:
        return "done", pgettext_lazy("SLA state", "Done")
    if ticket.sla_paused_at is not None:
        return "paused", pgettext_lazy("SLA state", "Paused")
    if ticket.is_overdue:
        return "overdue", pgettext_lazy("SLA state", "Overdue")
    if ticket.due_at is None:
        return "none", pgettext_lazy("SLA state", "No due time")
    if ticket.due_at - now <= SOON:
        return "soon", pgettext_lazy("SLA state", "Due soon")
    return "ok", pgettext_lazy("SLA state", "On track")


def filter_summary(view: SavedView, names: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The view's filters in words, for its page ("Department: Support")."""
    labels = {
        "department": _("Department"),
        "topic": _("Help topic"),
        "priority": _("Priority"),
        "status": _("Status"),
        "assignee": _("Assignee"),
        "team": _("Team"),
        "customer": _("Customer"),
    }
    words = []
    for key in FILTERS:
        raw = str((view.filters or {}).get(key) or "")
        if not raw:
            continue
        if raw == "none":
            shown = str(_("Unassigned") if key == "assignee" else _("No team"))
        else:
            shown = names.get(key, {}).get(raw, f"#{raw}")
        words.append(_("%(filter)s: %(value)s") % {"filter": labels[key], "value": shown})
    return words


# A search view may look through every ticket the agent sees, not one queue.
EVERY = "all"
EVERY_QUEUE = Queue(
    EVERY, _("Every ticket you can see"), _("Open and closed, as the search finds them")
)
QUEUE_CHOICES = [(q.key, q.title) for q in QUEUES.values()] + [(EVERY, EVERY_QUEUE.title)]


def queue_of(view: SavedView) -> Queue:
    """The queue the view shapes (a search view's may be every ticket)."""
    if view.queue == EVERY and view.search:
        return EVERY_QUEUE
    return QUEUES.get(view.queue, QUEUES["open"])
