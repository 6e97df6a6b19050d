from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from helpline.accounts.models import Agent
from helpline.bulk.actions import offered
from helpline.desk import on_it, saved_views
from helpline.desk.models import Density, SavedView
from helpline.desk.views.common import filter_options
from helpline.tickets.queues import (
    QUEUES,
    SORTS,
    BadQueueInput,
    QueuePage,
    queue_counts,
    queue_page,
)
from helpline.web.auth import agent_required, current_agent


@agent_required
@require_safe
def dashboard(request: HttpRequest, queue: str = "open") -> HttpResponse:
    agent = current_agent(request)
    params = {k: str(v) for k, v in request.GET.items() if v}
    return queue_response(request, agent, queue, params, reverse("desk:queue", args=[queue]))


def queue_response(
    request: HttpRequest,
    agent: Agent,
    queue: str,
    params: Mapping[str, str],
    base: str,
    view: SavedView | None = None,
    views: list[SavedView] | None = None,
) -> HttpResponse:
    """A queue's page (or a saved view's: the queue it shapes, with `params` its
    filters and sort), `base` the address its links keep, `views` the sidebar's
    saved views if already read."""
    error: BadQueueInput | None = None
    size = settings.HELPLINE_QUEUE_PAGE_SIZE
    searched = view is not None and bool(view.search)
    page: QueuePage | None
    try:
        if view is not None and searched:
            page = saved_views.search_page(agent, view, params.get("cursor", ""), size)
        else:
            page = queue_page(agent, queue, params, page_size=size)
    except BadQueueInput as bad:
        # The page with the reason and no tickets: a filter that cannot be used
        # must not show a wider list than the one asked for.
        error = bad
        known = saved_views.queue_of(view) if view else QUEUES.get(queue)
        page = QueuePage(known, tickets=[], sort="updated") if known else None
    if page is None:
        raise Http404("No such queue")
    on_it.attach(page.tickets, agent)  # who is on which: one statement for the page
    columns = saved_views.columns_of(view.columns if view else None)
    if any(c.key == "tasks" for c in columns):
        saved_views.attach_open_tasks(page.tickets)  # one statement for the page
    if searched and any(c.key == "organization" for c in columns):
        prefetch_related_objects(page.tickets, "customer__organization")
    # A saved view's link changes only the sort and the page; a queue's keeps
    # its filters too.
    kept = {} if view else {k: v for k, v in params.items() if k not in ("cursor", "page", "sort")}

    default_sort = "updated" if view is None else "newest" if searched else view.sort

    def link(cursor: str | None = None, sort: str | None = None) -> str:
        query = dict(kept)
        if sort or page.sort != default_sort:
            query["sort"] = sort or page.sort
        if cursor:
            query["cursor"] = cursor
        return f"{base}?{urlencode(query)}" if query else base

    # htmx asks for the list alone (a filter or a page changed): no sidebar.
    partial = bool(request.htmx)  # type: ignore[attr-defined]
    if views is None and not partial:
        views = saved_views.sidebar_views(agent)
    counts, pending = saved_views.view_counts(agent, [] if partial else views or [])
    options = filter_options(agent)
    context: dict[str, Any] = {
        "nav": "queues",
        "error": error,
        "page": page,
        "queues": QUEUES.values(),
        "counts": {} if partial else queue_counts(agent),
        "views": views,
        "views_shown_max": saved_views.MAX_SHOWN,
        "view_counts": counts,
        "counts_pending": bool(pending),
        "saved": view,
        "view_filters": saved_views.filter_summary(view, _names(options)) if view else [],
        # A view's CSV is its queue with its own filters (never fewer, as a page
        # refused for a bad cursor has); a search view has none (its search's
        # CSV is the search page's).
        "export_query": urlencode(
            saved_views.query_of(view) if view else {**page.filters, "sort": page.sort}
        ),
        "may_change": view is not None and saved_views.may_change(agent, view),
        "columns": columns,
        "team_column": any(c.key == "team" for c in columns),
        "shaped": view is not None,
        # A search view lists newest first: its headers sort nothing.
        "heads": saved_views.plain_heads(columns)
        if searched
        else [
            (h, link(sort=h.sort) if h.sort else "")
            for h in saved_views.header_sorts(columns, page.sort)
        ],
        "compact": view is not None and view.density == Density.COMPACT,
        "sorts": [(key, sort.label) for key, sort in SORTS.items()],
        "params": params,
        "next_url": link(page.next_cursor),
        "prev_url": link(page.previous_cursor),
        "first_url": link(None),
        # A search view's pages go forwards only: a later one links to the first.
        "later_page": searched and bool(params.get("cursor")),
        "options": options,
        # The selection bar (desk/_bulk_bar.html): its actions, and the query of
        # "every ticket that matches" (the queue, its filters and sort).
        "bulk": True,
        "actions": offered(agent),
        "typed": {},
        # Not for a search view: "every ticket that matches" is a queue's.
        "matching_query": ""
        if searched
        else urlencode({"queue": page.queue.key, **page.filters, "sort": page.sort}),
    }
    template = "desk/_queue_table.html" if partial else "desk/dashboard.html"
    return render(request, template, context, status=400 if error else 200)


def _names(options: Mapping[str, list[Any]]) -> dict[str, dict[str, str]]:
    """{filter: {id: name}} of the filter lists, for a view's filters in words."""
    lists = {
        # Every department's name: a view shared with agents of another one.
        "department": "all_departments",
        "topic": "topics",
        "priority": "priorities",
        "status": "statuses",
        "assignee": "agents",
        "team": "teams",
    }
    return {key: {str(i.pk): str(i) for i in options[name]} for key, name in lists.items()}


@agent_required
@require_safe
def jump(request: HttpRequest) -> HttpResponse:
    """The old "go to ticket" box (bookmarks of /desk/go/?number=): the search,
    which opens a ticket whose whole number is typed."""
    typed = request.GET.get("number", "").strip()[:500]
    if not typed:
        return redirect("desk:dashboard")
    return redirect(f"{reverse('desk:search')}?{urlencode({'q': typed})}")
