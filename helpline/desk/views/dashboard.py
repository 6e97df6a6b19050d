from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from helpline.bulk.actions import offered
from helpline.desk import on_it
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
    error: BadQueueInput | None = None
    try:
        page = queue_page(agent, queue, params, page_size=settings.HELPLINE_QUEUE_PAGE_SIZE)
    except BadQueueInput as bad:
        # The page with the reason and no tickets: a filter that cannot be used
        # must not show a wider list than the one asked for.
        error = bad
        page = QueuePage(QUEUES[queue], tickets=[], sort="updated") if queue in QUEUES else None
    if page is None:
        raise Http404("No such queue")
    on_it.attach(page.tickets, agent)  # who is on which: one statement for the page
    base = reverse("desk:queue", args=[queue])

    def link(cursor: str | None) -> str:
        # The same filters and sort; an old page number is dropped with the cursor.
        query = {k: v for k, v in params.items() if k not in ("cursor", "page")}
        if cursor:
            query["cursor"] = cursor
        return f"{base}?{urlencode(query)}" if query else base

    context = {
        "nav": "queues",
        "error": error,
        "page": page,
        "queues": QUEUES.values(),
        "counts": queue_counts(agent),
        "sorts": [(key, sort.label) for key, sort in SORTS.items()],
        "params": params,
        "next_url": link(page.next_cursor),
        "prev_url": link(page.previous_cursor),
        "first_url": link(None),
        "options": filter_options(agent),
        # The selection bar (desk/_bulk_bar.html): its actions, and the query of
        # "every ticket that matches" (the queue, its filters and sort).
        "bulk": True,
        "actions": offered(agent),
        "typed": {},
        "matching_query": urlencode({"queue": queue, **page.filters, "sort": page.sort}),
    }
    template = "desk/_queue_table.html" if request.htmx else "desk/dashboard.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


@agent_required
@require_safe
def jump(request: HttpRequest) -> HttpResponse:
    """The old "go to ticket" box (bookmarks of /desk/go/?number=): the search,
    which opens a ticket whose whole number is typed."""
    typed = request.GET.get("number", "").strip()[:500]
    if not typed:
        return redirect("desk:dashboard")
    return redirect(f"{reverse('desk:search')}?{urlencode({'q': typed})}")
