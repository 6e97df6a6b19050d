"""The desk's search: the box in the header, its results page and its suggestions.

`/desk/search/?q=...` shows the tickets the agent may see that match, ranked or
newest first, with snippets and the counts per state; a search that cannot run
(an unknown filter, a name that matches nothing) is answered 400 with the reason,
the typed text kept in the box. A whole ticket number the agent may see opens
that ticket, as the old "Ticket #" box did.

`/desk/search/suggest/?q=...` (htmx, as the agent types) suggests a few tickets
and customers once three characters (or one digit) are typed. A customer is
suggested only to an agent who may see a ticket of theirs: the suggestion is a
search of their tickets, and other departments' customers are not the agent's
to browse. The new-ticket form's lookup (`customer_lookup`) finds any customer:
an agent logs a call from whoever calls.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from helpline.accounts.models import Agent, Customer
from helpline.desk import on_it, saved_views
from helpline.desk.views.common import filter_options
from helpline.search import customers, window
from helpline.search.query import EXAMPLES, HELP, BadSearch
from helpline.search.service import EXPORT_MAX, ORDERS, Results, search
from helpline.tickets.models import State, Ticket
from helpline.tickets.queues import filter_params
from helpline.web.auth import agent_required, current_agent

SUGGESTIONS = 5
# Customers looked up for the suggestions, of whom those with a ticket the agent
# may see are shown (most are, for an agent of most departments; one of a small
# department may be suggested nobody for a common name, where the results page
# still finds their tickets by it).
CUSTOMER_CANDIDATES = 50
CUSTOMER_MATCHES = 8
MIN_SUGGEST_CHARS = 3


@agent_required
@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    typed = request.GET.get("q", "")[:1000]
    order = request.GET.get("order", "relevance")
    cursor = request.GET.get("cursor", "")
    filters = filter_params(request.GET)
    context: dict[str, object] = {
        "nav": "search",
        "typed": typed,
        "help": HELP,
        "examples": EXAMPLES.values(),
        "order": order,
        "params": filters,
        "columns": saved_views.columns_of(None),
        "heads": saved_views.plain_heads(saved_views.columns_of(None)),
    }
    if not typed.strip():
        return render(request, "desk/search.html", context)
    context["options"] = filter_options(agent)
    try:
        results = search(typed, agent=agent, order=order, cursor=cursor, filters=filters)
    except BadSearch as bad:
        context["error"] = bad.message
        return render(request, "desk/search.html", context, status=400)
    exact = _exact_number(results)
    # Not for htmx (a filter list's change): the page's results area is swapped.
    if exact is not None and not cursor and not filters and not request.htmx:  # type: ignore[attr-defined]
        return redirect("desk:ticket", number=exact.number)
    on_it.attach([hit.ticket for hit in results.hits], agent)  # one statement
    base = reverse("desk:search")

    def link(**changes: str) -> str:
        query = {"q": typed, "order": order, **filters, **changes}
        return f"{base}?{urlencode({k: v for k, v in query.items() if v})}"

    context.update(
        {
            "results": results,
            "orders": [(key, link(order=key)) for key in ORDERS],
            "next_url": link(cursor=results.next_cursor) if results.next_cursor else "",
            "first_url": link() if cursor else "",
            "clear_url": f"{base}?{urlencode({'q': typed, 'order': order})}" if filters else "",
            "count_cap": window.COUNT_CAP,
            "export_max": EXPORT_MAX,
            "open_count": results.counts.get(State.OPEN, 0),
            "closed_count": results.counts.get(State.CLOSED, 0)
            + results.counts.get(State.ARCHIVED, 0),
        }
    )
    return render(request, "desk/search.html", context)


def _exact_number(results: Results) -> Ticket | None:
    """The ticket whose whole number was typed (first among the numbers that
    start so, which come in order), if the agent may see it."""
    if results.by_number and results.hits:
        ticket = results.hits[0].ticket
        if ticket.number == results.parsed.number:
            return ticket
    return None


@agent_required
@require_safe
def suggest(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    typed = request.GET.get("q", "")[:200].strip()
    context: dict[str, object] = {"typed": typed, "tickets": [], "people": []}
    long_enough = len(typed) >= MIN_SUGGEST_CHARS or typed.lstrip("#").isdigit()
    if long_enough:
        try:
            found = search(
                typed, agent=agent, prefix=True, limit=SUGGESTIONS, counts=False, snippets=False
            )
            context["tickets"] = [hit.ticket for hit in found.hits]
        except BadSearch:
            pass  # half-typed filters: the results page explains them on Enter
        context["people"] = _with_visible_tickets(
            agent, customers.lookup(typed, limit=CUSTOMER_CANDIDATES)
        )[:SUGGESTIONS]
    return render(request, "desk/_search_suggestions.html", context)


def _with_visible_tickets(agent: Agent, people: list[Customer]) -> list[Customer]:
    """Those of `people` (in order) who own a ticket the agent may see: one
    query, on the tickets' customer index."""
    owners = set(
        Ticket.objects.visible_to(agent)
        .filter(customer_id__in=[c.pk for c in people])
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return [c for c in people if c.pk in owners]


@agent_required
@require_safe
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """The new-ticket form's "find a customer" box (htmx): matching customers,
    each a button that fills the form's customer fields."""
    typed = request.GET.get("lookup", "")[:200].strip()
    people = customers.lookup(typed, limit=CUSTOMER_MATCHES) if typed else []
    return render(request, "desk/_customer_matches.html", {"typed": typed, "people": people})
