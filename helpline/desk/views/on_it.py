"""The ticket page's “I'm on it” box (helpline.desk.on_it): a plain POST form
that works without script, and answers htmx with the box alone.

POST `do=start` says the agent is on the ticket (and claims it if it is
unassigned and theirs to claim); if a colleague holds it, the answer asks to
confirm, and `do=take` with `holder=<their id>` takes it over. `do=stop` ends the
agent's own. GET gives the box as it is now (htmx: the confirmation's "Cancel")."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from helpline.desk import on_it
from helpline.desk.models import OnIt
from helpline.desk.views.common import get_ticket_for_agent
from helpline.desk.views.ticket import render_ticket
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket
from helpline.web.auth import agent_required, current_agent

ACTIONS = ("start", "take", "stop")


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@agent_required
@require_http_methods(["GET", "POST"])
def on_it_view(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    if request.method == "GET":
        if not htmx:
            return redirect("desk:ticket", number=ticket.number)
        return _box(request, ticket, on_it.current(ticket))
    action = request.POST.get("do", "")
    if action not in ACTIONS:
        raise Http404("No such action")
    if action == "stop":
        on_it.stop(agent, ticket)
        return _done(request, ticket, gettext("You are no longer on this ticket."))
    try:
        started = on_it.start(
            agent,
            ticket,
            take_from=_number(request.POST.get("holder", "")) if action == "take" else None,
            claim=True,
            expected_version=_number(request.POST.get("version", "")),
        )
    except lifecycle.Conflict as exc:
        return _refused(request, number, exc.message, 409)
    except lifecycle.LifecycleError as exc:
        return _refused(request, number, exc.message, 400)
    if started.asked:
        if htmx:
            return _box(request, ticket, started.marker, asked=True)
        return render_ticket(request, ticket, on_it_asked=True)
    if started.claimed:
        # The assignment changes the whole page: it is loaded again.
        return _done(
            request, started.ticket, gettext("You claimed the ticket and are on it."), reload=True
        )
    return _done(request, started.ticket, gettext("You are on it."))


def _box(
    request: HttpRequest, ticket: Ticket, marker: OnIt | None, *, asked: bool = False
) -> HttpResponse:
    agent = current_agent(request)
    context = {"ticket": ticket, **on_it.page_context(agent, ticket, marker, asked=asked)}
    return render(request, "desk/_on_it.html", context)


def _reload() -> HttpResponse:
    """htmx loads the whole page again (it shows the messages just added)."""
    response = HttpResponse()
    response["HX-Refresh"] = "true"
    return response


def _done(
    request: HttpRequest, ticket: Ticket, message: str, *, reload: bool = False
) -> HttpResponse:
    if request.htmx and not reload:  # type: ignore[attr-defined]
        # The box's live region says what changed; no message for the next page.
        return _box(request, ticket, on_it.current(ticket))
    messages.success(request, message)
    if request.htmx:  # type: ignore[attr-defined]
        return _reload()
    return redirect("desk:ticket", number=ticket.number)


def _refused(request: HttpRequest, number: str, message: str, status: int) -> HttpResponse:
    """The page as it is now, with the reason (the ticket may have changed)."""
    if request.htmx:  # type: ignore[attr-defined]
        messages.error(request, message)
        return _reload()
    ticket = get_ticket_for_agent(request, number)
    return render_ticket(request, ticket, error=("on_it", message), status=status)
